#pragma once
// A small typed reader over a yaml-cpp tree. Every problem becomes an Issue at the node that
// causes it (a key for map values, the item for list items) instead of an exception, so one pass
// reports all of them. Deliberately not yaml-cpp's convert<T>::decode, whose bool loses why.
// Internal to config/; one Diagnostics per load, not thread-safe.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"

namespace mtls::config::detail {

Position position_of(const YAML::Mark& mark);  // yaml-cpp counts from 0

// A value in the document and the place to blame for it.
struct Field {
  YAML::Node node;
  std::string path;  // "inbound[0].allow"
  Position at;
};

// Typed reads of one value. Each returns false, with an issue at field.at, when it does not fit.
bool read_string(Diagnostics& diag, const Field& field, std::string& out);
bool read_bool(Diagnostics& diag, const Field& field, bool& out);
bool read_uint(Diagnostics& diag, const Field& field, std::uint64_t min, std::uint64_t max,
               std::uint64_t& out);
std::vector<Field> read_list(Diagnostics& diag, const Field& field);  // reports a non-list
// A list of non-empty strings, each passing `check` (when given) or reported at its item.
using Check = std::function<bool(std::string_view, std::string&)>;
void read_strings(Diagnostics& diag, const std::optional<Field>& field,
                  std::vector<std::string>& out, const Check& check = nullptr);

// One YAML map. Construction reports a non-map, duplicate keys (at the second occurrence) and
// keys outside `known` (at the key). A reader over an absent field is empty and reports nothing.
class MapReader {
 public:
  MapReader(Diagnostics& diag, const std::optional<Field>& field,
            std::initializer_list<std::string_view> known);

  bool has(std::string_view key) const;                  // written, even as null
  std::optional<Field> get(std::string_view key) const;  // absent or null: nullopt
  // Like get(), and reports an absent key at this map, a null one at its key.
  std::optional<Field> require(std::string_view key,
                               std::string_view message = "is required") const;
  const std::string& path() const { return path_; }
  Diagnostics& diag() const { return *diag_; }

  // Typed reads: `out` keeps its default when the key is absent or its value is invalid.
  enum class Need { optional, required };
  void read(std::string_view key, std::string& out, Need need = Need::optional,
            const Check& check = nullptr) const;  // `check` runs on non-empty values
  void read(std::string_view key, bool& out) const;
  void read(std::string_view key, Duration& out, bool allow_zero) const;
  void read(std::string_view key, HostPort& out, std::uint16_t min_port, Need need) const;
  template <typename Int>
  void read_integer(std::string_view key, Int& out, std::uint64_t min, std::uint64_t max) const {
    std::uint64_t value = 0;
    if (auto f = get(key); f && read_uint(*diag_, *f, min, max, value))
      out = static_cast<Int>(value);
  }

 private:
  struct Entry {
    std::string key;
    YAML::Node value;
    Position at;
  };
  const Entry* find(std::string_view key) const;

  Diagnostics* diag_;
  std::string path_;
  Position map_at_;
  bool is_map_ = false;         // false: absent or not a map, already reported
  std::vector<Entry> entries_;  // first occurrence of each key, as yaml-cpp's lookup would pick
};

}  // namespace mtls::config::detail
