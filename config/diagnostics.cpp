// Issue collection and the field → position index behind Diagnostics::where().

#include "config/diagnostics.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mtls::config::detail {
namespace {

std::string_view parent_of(std::string_view field) {
  const std::size_t cut = field.find_last_of(".[");
  return cut == std::string_view::npos ? std::string_view{} : field.substr(0, cut);
}

}  // namespace

std::string child_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

std::string item_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

void Diagnostics::add(Position at, std::string field, std::string message) {
  issues_.push_back({file_, at.line, at.column, std::move(field), std::move(message)});
}

void Diagnostics::record_key(const std::string& field, Position at) { keys_.emplace(field, at); }
void Diagnostics::record_map(const std::string& field, Position at) { maps_.emplace(field, at); }

Position Diagnostics::where(std::string_view field) const {
  if (auto it = keys_.find(field); it != keys_.end()) return it->second;
  do {
    field = parent_of(field);
    if (auto it = maps_.find(field); it != maps_.end()) return it->second;
  } while (!field.empty());
  return {1, 1};
}

bool Diagnostics::has_issue(std::string_view field) const {
  // "a" holds "a.b" and "a[0]"; "" holds everything.
  const auto holds = [](std::string_view outer, std::string_view inner) {
    if (outer.empty() || outer == inner) return true;
    return inner.size() > outer.size() && inner.starts_with(outer) &&
           (inner[outer.size()] == '.' || inner[outer.size()] == '[');
  };
  return std::any_of(issues_.begin(), issues_.end(), [&](const Issue& issue) {
    // An issue about the whole file (no field) says nothing about any one field.
    return holds(field, issue.field) || (!issue.field.empty() && holds(issue.field, field));
  });
}

std::vector<Issue> Diagnostics::take() {
  std::stable_sort(issues_.begin(), issues_.end(), [](const Issue& a, const Issue& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return std::move(issues_);
}

}  // namespace mtls::config::detail
