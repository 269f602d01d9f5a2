#pragma once
// Outbound, protocol: http. The app speaks plain HTTP/1.1; requests are read with the same
// strict checks and relayed over a mutual TLS connection to the peer, verified as for TCP
// (`expect`, server_name). Upgrade and CONNECT hand the connection to the byte relay.
//
// The upstream connection comes from the listener's per-worker pool (upstream_pool.hpp) and goes
// back to it when the exchange ends cleanly, whatever the app's Connection header said, so an
// app that opens a connection per request costs no handshake per request.

#include <optional>

#include "proxy/http/exchange.hpp"
#include "proxy/http/http_session.hpp"
#include "proxy/http/upstream_pool.hpp"
#include "proxy/plain_stream.hpp"
#include "proxy/relay.hpp"

namespace mtls::proxy::http {

class OutboundHttpSession final : public HttpSession {
 public:
  OutboundHttpSession(Listener& listener, Worker& worker, tcp::socket socket);
  void start() override;

 private:
  // The one place the upstream mTLS connection comes from: a checkout from the pool.
  void acquire_upstream(UpstreamPool::Take take = UpstreamPool::Take::idle_or_new);
  void on_checkout(UpstreamPool::Result result);
  void on_handshake_ok() override {}  // the pool does the upstream handshake
  void close_streams() override;
  void reset_streams() override;
  tcp::socket& tls_peer_socket() override;
  bool tls_truncated() const override { return upstream_ && upstream_->stream().truncated(); }
  // Gives the connection back (or forgets it) before the session ends: the pool may be gone by
  // the time the session is destroyed.
  void return_upstream(bool reusable);

  Refusal on_request(Head& head) override;
  void on_tunnel() override;
  bool on_upstream_lost() override;
  void on_http_end(std::string_view result, std::string_view reason,
                   std::string_view detail) override;
  Waiting engine_waiting() const override {
    return exchange_ ? exchange_->waiting() : Waiting::exchange;
  }
  std::string_view engine_close_reason() const override {
    return exchange_ ? exchange_->close_reason() : std::string_view();
  }

  UpstreamPool& pool_;
  PlainStream downstream_;
  UpstreamConnectionPtr upstream_;
  bool reused_ = false;      // upstream_ carried exchanges before this session's
  bool resent_ = false;      // a request was already sent again on a fresh connection
  bool closed_ = false;      // close_streams() ran: a checkout that completes now is returned
  std::string unavailable_;  // why no upstream connection could be had ("" while one could)
  std::optional<Exchange<PlainStream, TlsStream>> exchange_;  // once the first checkout completed
  std::optional<Relay<PlainStream, TlsStream>> relay_;        // after an Upgrade or CONNECT
};

}  // namespace mtls::proxy::http
