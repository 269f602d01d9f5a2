// allow.routes: which requests each peer of an inbound protocol: http listener may send. Whether
// routes fit the listener (protocol, empty list) is checked in validate.cpp.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "config/http_path.hpp"
#include "config/quoted.hpp"
#include "config/schema.hpp"

namespace mtls::config::detail {
namespace {

// RFC 9110 §5.6.2 token characters.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET, and a rule naming it would
// silently never match what clients send.
bool check_method(std::string_view method, std::string& why) {
  if (!std::all_of(method.begin(), method.end(), is_tchar)) {
    why = quoted(method) + " is not a method name (letters, digits and " + "!#$%&'*+-.^_`|~)";
    return false;
  }
  if (std::any_of(method.begin(), method.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    std::string upper(method);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return char(c >= 'a' && c <= 'z' ? c - 32 : c); });
    why = "methods are case-sensitive; write " + upper;
    return false;
  }
  return true;
}

bool check_rule_name(std::string_view name, std::string& why) {
  const bool ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
  if (!ok) why = quoted(name) + " may contain only letters, digits, '_', '.' and '-'";
  return ok;
}

// One path or a list of them, each stored in canonical form; a path that is not canonical could
// never match a request (those are refused before matching), so it is an error here.
void read_paths(Diagnostics& diag, const std::optional<Field>& field,
                std::vector<std::string>& out) {
  if (!field) return;
  std::vector<Field> items;
  if (field->node.IsSequence()) {
    items = read_list(diag, *field);
  } else {
    items.push_back(*field);
  }
  for (const Field& item : items) {
    std::string text;
    if (!read_string(diag, item, text)) continue;
    if (text.find('?') != std::string::npos) {
      diag.add(item.at, item.path, "\"" + text + "\": a query is not part of the path; remove it");
      continue;
    }
    CanonicalPath canonical = canonical_path(text);
    if (!canonical.ok) {
      diag.add(item.at, item.path,
               "\"" + text + "\": " + canonical.why + "; write the path as clients send it, " +
                   "starting with '/' (such requests are refused before routes are matched)");
      continue;
    }
    out.push_back(std::move(canonical.path));
  }
}

}  // namespace

void read_routes(const MapReader& allow, std::vector<RouteRule>& out) {
  Diagnostics& diag = allow.diag();
  const std::optional<Field> list = allow.get("routes");
  if (!list) return;
  for (const Field& item : read_list(diag, *list)) {
    const MapReader rule(diag, item,
                         {"name", "any", "spiffe_ids", "trust_domains", "dns_names", "common_names",
                          "paths", "prefix", "methods"});
    RouteRule& r = out.emplace_back();
    r.name = item.path.substr(item.path.rfind('.') + 1);  // "routes[2]"
    rule.read("name", r.name, Need::optional, check_rule_name);
    read_peer_fields(rule, r.peers);
    read_paths(diag, rule.get("paths"), r.paths);
    read_paths(diag, rule.get("prefix"), r.prefixes);
    read_strings(diag, rule.get("methods"), r.methods, check_method);
  }
}

}  // namespace mtls::config::detail
