#pragma once
// The issues found in one config file, and where each field was written, so rules spanning
// several fields (validate.cpp) can point at the right place after the YAML tree is gone.
// Internal to config/; one per load, not thread-safe.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace mtls::config::detail {

struct Position {
  int line = 0;  // 1-based; 0: no position (the file as a whole)
  int column = 0;
};

std::string child_path(std::string_view parent, std::string_view key);  // "a" + "b" = "a.b"
std::string item_path(std::string_view parent, std::size_t index);      // "a[3]"

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void add(Position at, std::string field, std::string message);
  void record_key(const std::string& field, Position at);  // where `field` is written
  void record_map(const std::string& field, Position at);  // where the map `field` starts
  // Where `field` is written; for a field that is not, the map that should hold it.
  Position where(std::string_view field) const;
  // True when `field`, anything under it or the map or list holding it has an issue: rules
  // over it would only add noise to what is already reported.
  bool has_issue(std::string_view field) const;
  bool empty() const { return issues_.empty(); }
  const std::map<std::string, Position, std::less<>>& keys() const { return keys_; }
  std::vector<Issue> take();  // ordered by position

 private:
  std::string file_;
  std::vector<Issue> issues_;
  std::map<std::string, Position, std::less<>> keys_;
  std::map<std::string, Position, std::less<>> maps_;
};

}  // namespace mtls::config::detail
