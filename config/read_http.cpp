// http: the settings of protocol: http listeners (limits, timeouts, identity headers, access log).

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "config/quoted.hpp"
#include "config/schema.hpp"

namespace mtls::config::detail {
namespace {

// RFC 9110 §5.6.2 token characters.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return char(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

// A header the sidecar sets from the certificate: a token, and none whose meaning the proxy
// itself depends on (framing, hop-by-hop, the client certificate header it sets anyway).
bool check_identity_header(std::string_view name, std::string& why) {
  if (!std::all_of(name.begin(), name.end(), is_tchar)) {
    why = quoted(name) + " is not a header name (letters, digits and !#$%&'*+-.^_`|~)";
    return false;
  }
  static constexpr std::array<std::string_view, 12> kReserved = {"host",
                                                                 "content-length",
                                                                 "transfer-encoding",
                                                                 "connection",
                                                                 "keep-alive",
                                                                 "upgrade",
                                                                 "te",
                                                                 "trailer",
                                                                 "expect",
                                                                 "proxy-connection",
                                                                 "x-forwarded-client-cert",
                                                                 "cookie"};
  const std::string l = lower(name);
  if (std::find(kReserved.begin(), kReserved.end(), l) != kReserved.end()) {
    why = quoted(name) + " is a header the proxy reads or sets itself; choose another";
    return false;
  }
  return true;
}

void read_identity_headers(const MapReader& http, IdentityHeaders& out) {
  const MapReader headers(http.diag(), http.get("identity_headers"),
                          {"spiffe_id", "dns_names", "subject", "hash"});
  const std::pair<std::string_view, std::string*> keys[] = {{"spiffe_id", &out.spiffe_id},
                                                            {"dns_names", &out.dns_names},
                                                            {"subject", &out.subject},
                                                            {"hash", &out.hash}};
  std::vector<std::string> seen;
  for (const auto& [key, value] : keys) {
    headers.read(key, *value, MapReader::Need::optional, check_identity_header);
    const auto field = headers.get(key);
    if (!field || value->empty() || http.diag().has_issue(field->path)) continue;
    const std::string l = lower(*value);
    if (std::find(seen.begin(), seen.end(), l) != seen.end()) {
      http.diag().add(field->at, field->path,
                      "header \"" + *value + "\" is already set by another identity header");
      value->clear();
      continue;
    }
    seen.push_back(l);
  }
}

}  // namespace

void read_http(const MapReader& top, HttpConfig& out) {
  const MapReader http(top.diag(), top.get("http"),
                       {"max_header_bytes", "max_body_bytes", "request_timeout", "idle_timeout",
                        "identity_headers", "access_log", "pool"});
  // Below 1 KiB even ordinary requests would fail; above 1 MiB a header is an attack, not a use.
  http.read_integer("max_header_bytes", out.max_header_bytes, 1024, 1024 * 1024);
  http.read_integer("max_body_bytes", out.max_body_bytes, 0, UINT64_MAX);  // 0: unlimited
  http.read("request_timeout", out.request_timeout, false);
  http.read("idle_timeout", out.idle_timeout, false);
  read_identity_headers(http, out.identity_headers);
  http.read("access_log", out.access_log);
  read_http_pool(http, out.pool);
}

}  // namespace mtls::config::detail
