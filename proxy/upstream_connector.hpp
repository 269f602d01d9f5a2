#pragma once
// Connects to a listener's `forward` address from one worker. Names are re-resolved when the
// cached answer is older than a short TTL (DNS changes, e.g. a Kubernetes Service, are seen
// within seconds) and every address is tried in turn. IP literals are never resolved.
// Single-threaded: one connector per listener per worker.

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "config/config.hpp"
#include "metrics/labels.hpp"
#include "proxy/net.hpp"

namespace mtls::proxy {

class UpstreamConnector {
 public:
  using Handler = std::function<void(std::optional<metrics::ConnectFailure>)>;
  static constexpr std::chrono::seconds kDnsTtl{5};

  UpstreamConnector(net::io_context& io, config::HostPort forward);

  // Connects `socket`; handler(nullopt) on success, else the failure reason. A connect cancelled by
  // closing the socket (the session's connect timeout) reports `timeout`.
  void async_connect(tcp::socket& socket, Handler handler);

 private:
  void connect(tcp::socket& socket, Handler handler);
  static metrics::ConnectFailure reason_for(const error_code& ec);

  net::io_context& io_;
  config::HostPort forward_;
  std::optional<tcp::resolver> resolver_;  // only for names
  std::vector<tcp::endpoint> endpoints_;
  std::chrono::steady_clock::time_point resolved_at_{};
};

}  // namespace mtls::proxy
