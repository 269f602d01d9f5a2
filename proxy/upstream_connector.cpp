#include "proxy/upstream_connector.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>

namespace mtls::proxy {
using metrics::ConnectFailure;

UpstreamConnector::UpstreamConnector(net::io_context& io, config::HostPort forward,
                                     std::shared_ptr<const ForwardResolver::Name> name,
                                     std::chrono::milliseconds connect_timeout)
    : io_(io),
      forward_(std::move(forward)),
      name_(std::move(name)),
      connect_timeout_(connect_timeout) {
  error_code ec;
  const auto address = net::ip::make_address(forward_.host, ec);
  if (!ec) {
    literal_ = std::make_shared<const std::vector<tcp::endpoint>>(
        std::vector<tcp::endpoint>{{address, forward_.port}});
  }
}

ConnectFailure UpstreamConnector::reason_for(const error_code& ec) {
  if (ec == net::error::connection_refused) return ConnectFailure::refused;
  if (ec == net::error::timed_out || ec == net::error::operation_aborted)
    return ConnectFailure::timeout;
  return ConnectFailure::unreachable;
}

void UpstreamConnector::async_connect(tcp::socket& socket, Handler handler) {
  if (literal_) return connect(socket, literal_, std::move(handler));
  if (!name_) return handler(ConnectFailure::dns);  // a name nobody resolves: a wiring mistake
  const auto answer = name_->answer();
  if (!answer) {
    return await_first_answer(socket, std::move(handler),
                              std::chrono::steady_clock::now() + connect_timeout_);
  }
  if (answer->endpoints.empty()) return handler(ConnectFailure::dns);
  // Aliasing: the addresses stay alive with the answer while the connect runs.
  connect(socket, std::shared_ptr<const std::vector<tcp::endpoint>>(answer, &answer->endpoints),
          std::move(handler));
}

void UpstreamConnector::async_connect_to(tcp::socket& socket, const tcp::endpoint& to,
                                         Handler handler) {
  connect(socket, std::make_shared<const std::vector<tcp::endpoint>>(1, to), std::move(handler));
}

// Only before a name's first lookup has completed (the first seconds after start-up, or a
// resolver that never answers): polls for the answer until connect_timeout, so the session ends
// at its deadline and nothing connects upstream for it afterwards.
void UpstreamConnector::await_first_answer(tcp::socket& socket, Handler handler,
                                           std::chrono::steady_clock::time_point deadline) {
  auto timer = std::make_shared<net::steady_timer>(io_);
  timer->expires_after(kFirstAnswerPoll);
  timer->async_wait(
      [this, &socket, timer, deadline, handler = std::move(handler)](error_code ec) mutable {
        if (ec) return handler(ConnectFailure::timeout);  // the worker stops
        if (!name_->answer() && std::chrono::steady_clock::now() < deadline) {
          return await_first_answer(socket, std::move(handler), deadline);
        }
        if (!name_->answer()) return handler(ConnectFailure::dns);
        async_connect(socket, std::move(handler));
      });
}

void UpstreamConnector::connect(tcp::socket& socket,
                                std::shared_ptr<const std::vector<tcp::endpoint>> to,
                                Handler handler) {
  const std::vector<tcp::endpoint>& endpoints = *to;
  net::async_connect(
      socket, endpoints,
      [to = std::move(to), handler = std::move(handler)](error_code ec, const tcp::endpoint&) {
        if (ec) return handler(reason_for(ec));
        handler(std::nullopt);
      });
}

}  // namespace mtls::proxy
