#pragma once
// Inbound, protocol: http. The mutual TLS handshake and the `allow` policy as for TCP; then
// requests are read with the strict checks, authorized per request, given the peer's identity
// (x-forwarded-client-cert, http.identity_headers) and relayed to the local app over one plain
// connection. Upgrade and CONNECT hand the connection to the byte relay.

#include "proxy/http/exchange.hpp"
#include "proxy/http/http_session.hpp"
#include "proxy/http/identity_headers.hpp"
#include "proxy/plain_stream.hpp"
#include "proxy/relay.hpp"

namespace mtls::proxy::http {

class InboundHttpSession final : public HttpSession {
 public:
  InboundHttpSession(Listener& listener, Worker& worker, tcp::socket socket);
  void start() override;

 private:
  void on_handshake_ok() override;
  void on_connected();
  void close_streams() override;
  void reset_streams() override;
  tcp::socket& tls_peer_socket() override { return downstream_.socket(); }
  bool tls_truncated() const override { return downstream_.truncated(); }

  Refusal on_request(Head& head) override;
  void on_tunnel() override;
  Waiting engine_waiting() const override { return exchange_.waiting(); }
  std::string_view engine_close_reason() const override { return exchange_.close_reason(); }

  certs::PeerCheck check_;
  TlsStream downstream_;
  PlainStream upstream_;
  PeerFacts facts_;
  Exchange<TlsStream, PlainStream> exchange_;
  Relay<TlsStream, PlainStream> relay_;
};

}  // namespace mtls::proxy::http
