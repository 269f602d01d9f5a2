#pragma once
// `mtls-sidecar probe URL`: one HTTP/1.0 GET with a deadline, for container health checks in
// images that have no curl (HEALTHCHECK, ECS healthCheck). Plain http only, and by default only
// to a loopback address: a health check asks its own container's admin port, and a probe that
// could be pointed anywhere would be a request-forging tool inside the image.

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

struct ProbeResult {
  bool ok = false;      // a 2xx status arrived
  unsigned status = 0;  // 0: no status line (connect failed, timed out, not HTTP)
  std::string detail;   // "200 OK", "503 Service Unavailable", "connect: Connection refused", ...
};

// Connects, sends the GET, reads the status line; everything within `timeout`.
ProbeResult http_probe(const ProbeTarget& target, std::chrono::milliseconds timeout);

}  // namespace mtls::proxy
