#pragma once
// Inbound: a peer sidecar connects with mutual TLS; we verify its certificate and identity
// (listener `allow`), connect to the local `forward` address in plaintext and relay.

#include <optional>
#include <string>

#include "proxy/plain_stream.hpp"
#include "proxy/relay.hpp"
#include "proxy/session.hpp"

namespace mtls::proxy {

class InboundSession final : public Session {
 public:
  InboundSession(Listener& listener, Worker& worker, tcp::socket socket);
  void start() override;

 private:
  void on_handshake_ok() override;
  void on_connected();
  void close_streams() override;
  tcp::socket& tls_peer_socket() override { return downstream_.socket(); }
  void reset_streams() override;
  bool tls_truncated() const override { return downstream_.truncated(); }

  certs::PeerCheck check_;
  TlsStream downstream_;
  PlainStream upstream_;
  Relay<TlsStream, PlainStream> relay_;
  std::string proxy_header_;  // proxy_protocol: v2, alive until written
};

}  // namespace mtls::proxy
