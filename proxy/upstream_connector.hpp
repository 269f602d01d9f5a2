#pragma once
// Connects to a listener's `forward` address from one worker, trying every address in turn.
// IP literals are used as they are; names come from the sidecar's ForwardResolver, which looks
// them up in the background: a connection uses the latest answer at once and never waits for
// DNS, except before a name's very first answer, and then no longer than connect_timeout.
// Single-threaded: one connector per listener per worker.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "config/config.hpp"
#include "metrics/labels.hpp"
#include "proxy/forward_resolver.hpp"
#include "proxy/net.hpp"

namespace mtls::proxy {

class UpstreamConnector {
 public:
  using Handler = std::function<void(std::optional<metrics::ConnectFailure>)>;
  // How often a connection that arrived before a name's first answer looks for it.
  static constexpr std::chrono::milliseconds kFirstAnswerPoll{10};

  // `name`: from ForwardResolver::watch(forward); nullptr when forward.host is an IP literal.
  // `connect_timeout` bounds the wait for a first answer.
  UpstreamConnector(net::io_context& io, config::HostPort forward,
                    std::shared_ptr<const ForwardResolver::Name> name,
                    std::chrono::milliseconds connect_timeout);

  // Connects `socket`; handler(nullopt) on success, else the failure reason. A connect cancelled by
  // closing the socket (the session's connect timeout) reports `timeout`; a name without any
  // address (its lookups failed, or none answered within connect_timeout) reports `dns`.
  void async_connect(tcp::socket& socket, Handler handler);
  // Connects `socket` to `to` instead of `forward` (forward: original_dst).
  void async_connect_to(tcp::socket& socket, const tcp::endpoint& to, Handler handler);

 private:
  void await_first_answer(tcp::socket& socket, Handler handler,
                          std::chrono::steady_clock::time_point deadline);
  static void connect(tcp::socket& socket, std::shared_ptr<const std::vector<tcp::endpoint>> to,
                      Handler handler);
  static metrics::ConnectFailure reason_for(const error_code& ec);

  net::io_context& io_;
  config::HostPort forward_;
  std::shared_ptr<const ForwardResolver::Name> name_;
  std::chrono::milliseconds connect_timeout_;
  std::shared_ptr<const std::vector<tcp::endpoint>> literal_;  // IP literal forward
};

}  // namespace mtls::proxy
