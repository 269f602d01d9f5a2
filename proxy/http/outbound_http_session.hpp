#pragma once
// Outbound, protocol: http. The app speaks plain HTTP/1.1; requests are read with the same
// strict checks and relayed over a mutual TLS connection to the peer, verified as for TCP
// (`expect`, server_name). Upgrade and CONNECT hand the connection to the byte relay.

#include "proxy/http/exchange.hpp"
#include "proxy/http/http_session.hpp"
#include "proxy/plain_stream.hpp"
#include "proxy/relay.hpp"

namespace mtls::proxy::http {

class OutboundHttpSession final : public HttpSession {
 public:
  OutboundHttpSession(Listener& listener, Worker& worker, tcp::socket socket);
  void start() override;

 private:
  // The one place the upstream mTLS connection comes from: today a new connection and handshake
  // per downstream connection. An upstream pool replaces this function; the engine already
  // keeps the upstream open whatever the app's Connection header says.
  void acquire_upstream();
  void on_connected();
  void on_handshake_ok() override;
  void close_streams() override;
  void reset_streams() override;
  tcp::socket& tls_peer_socket() override { return upstream_.socket(); }
  bool tls_truncated() const override { return upstream_.truncated(); }

  Refusal on_request(Head& head) override;
  void on_tunnel() override;
  Waiting engine_waiting() const override { return exchange_.waiting(); }
  std::string_view engine_close_reason() const override { return exchange_.close_reason(); }

  certs::PeerCheck check_;
  PlainStream downstream_;
  TlsStream upstream_;
  Exchange<PlainStream, TlsStream> exchange_;
  Relay<PlainStream, TlsStream> relay_;
};

}  // namespace mtls::proxy::http
