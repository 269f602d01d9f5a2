// The typed reader. Issues point at keys rather than values: the key names the field and is
// where a reader's eye goes, and a block value may start lines below it.

#include "config/yaml_reader.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mtls::config::detail {
namespace {

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      return "\"" + (text.size() > 40 ? text.substr(0, 40) + "..." : text) + "\"";
    }
    default:
      return "null";
  }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "; did you mean handshake_timeout?" for a near miss: typos are the usual unknown key.
std::string suggestion(std::string_view key, std::initializer_list<std::string_view> known) {
  std::string_view best;
  std::size_t best_distance = 3;
  for (std::string_view candidate : known) {
    const std::size_t d = edit_distance(key, candidate);
    if (d < best_distance && d < candidate.size() / 2 + 1) {
      best = candidate;
      best_distance = d;
    }
  }
  return best.empty() ? "" : "; did you mean " + std::string(best) + "?";
}

bool scalar_text(Diagnostics& diag, const Field& field, std::string_view expected,
                 std::string& out) {
  if (!field.node.IsScalar()) {
    diag.add(field.at, field.path,
             "expected " + std::string(expected) + ", got " + describe(field.node));
    return false;
  }
  out = field.node.Scalar();
  return true;
}

}  // namespace

Position position_of(const YAML::Mark& mark) {
  if (mark.is_null()) return {1, 1};
  return {mark.line + 1, mark.column + 1};
}

bool read_string(Diagnostics& diag, const Field& field, std::string& out) {
  return scalar_text(diag, field, "a string", out);
}

bool read_bool(Diagnostics& diag, const Field& field, bool& out) {
  std::string text;
  if (!scalar_text(diag, field, "true or false", text)) return false;
  // YAML 1.2's booleans only: yes/no/on/off are YAML 1.1 and surprise people (Norway).
  if (text == "true" || text == "True" || text == "TRUE") {
    out = true;
  } else if (text == "false" || text == "False" || text == "FALSE") {
    out = false;
  } else {
    diag.add(field.at, field.path, "expected true or false, got " + describe(field.node));
    return false;
  }
  return true;
}

bool read_uint(Diagnostics& diag, const Field& field, std::uint64_t min, std::uint64_t max,
               std::uint64_t& out) {
  const std::string expected =
      "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  std::string text;
  if (!scalar_text(diag, field, expected, text)) return false;
  std::uint64_t value = 0;
  bool ok = !text.empty() && text.size() <= 19;  // 19 digits cannot overflow 64 bits
  for (char c : text) {
    ok = ok && c >= '0' && c <= '9';
    if (ok) value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (!ok || value < min || value > max) {
    diag.add(field.at, field.path, "expected " + expected + ", got " + describe(field.node));
    return false;
  }
  out = value;
  return true;
}

std::vector<Field> read_list(Diagnostics& diag, const Field& field) {
  std::vector<Field> items;
  if (!field.node.IsSequence()) {
    diag.add(field.at, field.path, "expected a list, got " + describe(field.node));
    return items;
  }
  for (const YAML::Node& item : field.node) {
    items.push_back({item, item_path(field.path, items.size()), position_of(item.Mark())});
    diag.record_key(items.back().path, items.back().at);
  }
  return items;
}

void read_strings(Diagnostics& diag, const std::optional<Field>& field,
                  std::vector<std::string>& out, const Check& check) {
  if (!field) return;
  for (const Field& item : read_list(diag, *field)) {
    std::string text;
    std::string why;
    if (!read_string(diag, item, text)) continue;
    if (text.empty()) {
      diag.add(item.at, item.path, "must not be empty");
    } else if (check && !check(text, why)) {
      diag.add(item.at, item.path, why);
    } else {
      out.push_back(std::move(text));
    }
  }
}

MapReader::MapReader(Diagnostics& diag, const std::optional<Field>& field,
                     std::initializer_list<std::string_view> known)
    : diag_(&diag), path_(field ? field->path : "") {
  if (!field) return;
  if (!field->node.IsMap()) {
    diag.add(field->at, path_, "expected a map, got " + describe(field->node));
    return;
  }
  is_map_ = true;
  map_at_ = position_of(field->node.Mark());
  diag.record_map(path_, map_at_);
  // yaml-cpp keeps every pair of a map but looks keys up by first match: iterating is the only
  // way to see a duplicate.
  for (auto it = field->node.begin(); it != field->node.end(); ++it) {
    const Position at = position_of(it->first.Mark());
    if (!it->first.IsScalar()) {
      diag.add(at, path_, "a key must be a name, got " + describe(it->first));
      continue;
    }
    const std::string& key = it->first.Scalar();
    const std::string path = child_path(path_, key);
    if (const Entry* first = find(key)) {
      diag.add(at, path, "duplicate key; first set at line " + std::to_string(first->at.line));
      continue;
    }
    entries_.push_back({key, it->second, at});
    diag.record_key(path, at);
    if (key == "<<") {  // yaml-cpp 0.7 reads a merge key as a plain key named "<<"
      diag.add(at, path, "merge keys are not supported; write the keys out");
    } else if (std::find(known.begin(), known.end(), key) == known.end()) {
      diag.add(at, path, "unknown key" + suggestion(key, known));
    }
  }
}

const MapReader::Entry* MapReader::find(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

bool MapReader::has(std::string_view key) const { return find(key) != nullptr; }

std::optional<Field> MapReader::get(std::string_view key) const {
  const Entry* entry = find(key);
  if (entry == nullptr || entry->value.IsNull()) return std::nullopt;
  return Field{entry->value, child_path(path_, key), entry->at};
}

std::optional<Field> MapReader::require(std::string_view key, std::string_view message) const {
  const Entry* entry = find(key);
  if (is_map_ && entry == nullptr) {
    diag_->add(map_at_, child_path(path_, key), std::string(message));  // a missing key has no mark
  } else if (entry != nullptr && entry->value.IsNull()) {
    diag_->add(entry->at, child_path(path_, key), std::string(message));
  }
  return get(key);
}

void MapReader::read(std::string_view key, std::string& out, Need need, const Check& check) const {
  const std::optional<Field> f = need == Need::required ? require(key) : get(key);
  std::string text;
  std::string why;
  if (!f || !read_string(*diag_, *f, text)) return;
  if (need == Need::required && text.empty()) {
    diag_->add(f->at, f->path, "must not be empty");
  } else if (!text.empty() && check && !check(text, why)) {
    diag_->add(f->at, f->path, why);
  } else {
    out = std::move(text);
  }
}

void MapReader::read(std::string_view key, bool& out) const {
  if (auto f = get(key)) read_bool(*diag_, *f, out);
}

void MapReader::read(std::string_view key, Duration& out, bool allow_zero) const {
  const std::optional<Field> f = get(key);
  std::string text;
  std::string why;
  Duration value{};
  if (!f || !scalar_text(*diag_, *f, "a duration like 10s, 5m, 24h", text)) return;
  if (!parse_duration(text, value, why)) {
    diag_->add(f->at, f->path, why);
  } else if (!allow_zero && value == Duration::zero()) {
    diag_->add(f->at, f->path, "must be greater than 0");
  } else {
    out = value;
  }
}

void MapReader::read(std::string_view key, HostPort& out, std::uint16_t min_port, Need need) const {
  const std::optional<Field> f = need == Need::required ? require(key) : get(key);
  std::string text;
  std::string why;
  HostPort value;
  if (!f || !scalar_text(*diag_, *f, "host:port", text)) return;
  if (!parse_host_port(text, value, why)) {
    diag_->add(f->at, f->path, why);
  } else if (value.port < min_port) {
    diag_->add(f->at, f->path,
               "port " + std::to_string(value.port) + " is not allowed here; expected " +
                   std::to_string(min_port) + "..65535");
  } else {
    out = std::move(value);
  }
}

}  // namespace mtls::config::detail
