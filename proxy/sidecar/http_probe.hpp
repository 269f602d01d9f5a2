#pragma once
// The one client of the admin port: an HTTP/1.0 GET with a deadline. `mtls-sidecar probe URL`
// uses its status (container health checks in images that have no curl: HEALTHCHECK, ECS
// healthCheck), `mtls-sidecar status` its body (GET /status). Plain http only, and the probe by
// default only to a loopback address: a health check asks its own container's admin port, and a
// probe that could be pointed anywhere would be a request-forging tool inside the image.

#include <chrono>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace mtls::proxy {

struct ProbeTarget {
  config::HostPort address;  // an IP literal ("localhost" is taken as 127.0.0.1)
  std::string path = "/";    // with its query, as sent
};

// "http://127.0.0.1:9901/ready" -> target. False with `why` for anything else: another scheme, a
// host name (nothing is resolved), a missing port, or an address off loopback unless
// `allow_remote`.
bool parse_probe_url(std::string_view url, bool allow_remote, ProbeTarget& out, std::string& why);

// `status --admin URL`: "127.0.0.1:9901", "http://127.0.0.1:9901/" or "http://[::1]:9901" ->
// GET /status there. Any address the operator names: the path is fixed, so it fetches nothing
// else. Throws std::invalid_argument naming the text otherwise.
ProbeTarget status_target(const std::string& admin_url);

// Not "ProbeResult": tls_probe.hpp has one in this namespace, and both link into the binary.
struct HttpProbeResult {
  bool ok = false;      // a 2xx status arrived
  unsigned status = 0;  // 0: no status line (connect failed, timed out, not HTTP)
  std::string detail;   // "200 OK", "503 Service Unavailable", "connect: Connection refused", ...
  std::string body;     // what followed the head, up to kMaxProbeBody
};

// The admin server's largest answer (/metrics of many listeners) is far below this.
inline constexpr std::size_t kMaxProbeBody = 4 << 20;

// Connects, sends the GET, reads the response (its Content-Length, else until the server
// closes); everything within `timeout`. A response cut short is a failure naming where it stopped.
HttpProbeResult http_probe(const ProbeTarget& target, std::chrono::milliseconds timeout);

}  // namespace mtls::proxy
