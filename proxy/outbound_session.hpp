#pragma once
// Outbound: the local app connects in plaintext; we connect to the peer sidecar (`forward`),
// originate mutual TLS with our identity and SNI `server_name`, verify the server's identity
// (listener `expect`) and relay.

#include "proxy/plain_stream.hpp"
#include "proxy/relay.hpp"
#include "proxy/session.hpp"

namespace mtls::proxy {

class OutboundSession final : public Session {
 public:
  OutboundSession(Listener& listener, Worker& worker, tcp::socket socket);
  void start() override;

 private:
  void on_connected();
  void on_handshake_ok() override;
  void close_streams() override;
  tcp::socket& tls_peer_socket() override { return upstream_.socket(); }
  void reset_streams() override;
  bool tls_truncated() const override { return upstream_.truncated(); }

  certs::PeerCheck check_;
  PlainStream downstream_;
  TlsStream upstream_;
  Relay<PlainStream, TlsStream> relay_;
};

}  // namespace mtls::proxy
