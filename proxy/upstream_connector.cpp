#include "proxy/upstream_connector.hpp"

#include <boost/asio/connect.hpp>

namespace mtls::proxy {
using metrics::ConnectFailure;

UpstreamConnector::UpstreamConnector(net::io_context& io, config::HostPort forward)
    : io_(io), forward_(std::move(forward)) {
  error_code ec;
  const auto address = net::ip::make_address(forward_.host, ec);
  if (!ec) {
    endpoints_.emplace_back(address, forward_.port);
  } else {
    resolver_.emplace(io_);
  }
}

ConnectFailure UpstreamConnector::reason_for(const error_code& ec) {
  if (ec == net::error::connection_refused) return ConnectFailure::refused;
  if (ec == net::error::timed_out || ec == net::error::operation_aborted) return ConnectFailure::timeout;
  return ConnectFailure::unreachable;
}

void UpstreamConnector::async_connect(tcp::socket& socket, Handler handler) {
  const bool fresh = std::chrono::steady_clock::now() - resolved_at_ < kDnsTtl;
  if (!resolver_ || (fresh && !endpoints_.empty())) return connect(socket, std::move(handler));
  resolver_->async_resolve(
      forward_.host, std::to_string(forward_.port),
      [this, &socket, handler = std::move(handler)](error_code ec,
                                                    tcp::resolver::results_type results) mutable {
        if (ec || results.empty()) {
          // Keep serving the last good answer through a DNS outage rather than failing hard.
          if (endpoints_.empty()) return handler(ConnectFailure::dns);
        } else {
          endpoints_.assign(results.begin(), results.end());
          resolved_at_ = std::chrono::steady_clock::now();
        }
        connect(socket, std::move(handler));
      });
}

void UpstreamConnector::connect(tcp::socket& socket, Handler handler) {
  net::async_connect(socket, endpoints_,
                     [handler = std::move(handler)](error_code ec, const tcp::endpoint&) {
                       if (ec) return handler(reason_for(ec));
                       handler(std::nullopt);
                     });
}

}  // namespace mtls::proxy
