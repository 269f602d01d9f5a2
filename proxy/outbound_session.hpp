#pragma once
// Outbound: the local app connects in plaintext; we connect to the peer sidecar (`forward`, or
// with `forward: original_dst` the address the app's connection was redirected from), originate
// mutual TLS with our identity and SNI `server_name`, verify the server's identity (`expect`, or
// the matching `destinations` rule's) and relay.

#include <optional>
#include <string>

#include "proxy/original_dst.hpp"
#include "proxy/plain_stream.hpp"
#include "proxy/relay.hpp"
#include "proxy/session.hpp"

namespace mtls::proxy {

class OutboundSession final : public Session {
 public:
  OutboundSession(Listener& listener, Worker& worker, tcp::socket socket);
  void start() override;

 private:
  // Where this connection goes when the listener forwards to the original destination.
  struct Destination {
    std::optional<tcp::endpoint> to;  // nullopt: none usable, `why` says so
    std::string why;
    const DestinationRule* rule = nullptr;  // nullptr: the listener's own server_name/expect
  };
  static Destination destination_of(const ListenerSpec& spec, tcp::socket& socket);

  void on_connected();
  void on_handshake_ok() override;
  void close_streams() override;
  tcp::socket& tls_peer_socket() override { return upstream_.socket(); }
  void reset_streams() override;
  bool tls_truncated() const override { return upstream_.truncated(); }

  Destination destination_;  // declared first: the members below are made from it
  certs::PeerCheck check_;
  PlainStream downstream_;
  TlsStream upstream_;
  Relay<PlainStream, TlsStream> relay_;
};

}  // namespace mtls::proxy
