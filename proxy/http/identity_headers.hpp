#pragma once
// What an inbound HTTP listener tells the app about the verified peer: Envoy's
// x-forwarded-client-cert (By, Hash, URI, DNS) and the simple headers of http.identity_headers.
// Computed once per connection after the handshake; every request first loses any such header
// that came from the network, then gets ours.

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "certs/peer_identity.hpp"
#include "config/config.hpp"

namespace mtls::proxy::http {

struct Head;

inline constexpr std::string_view kXfcc = "x-forwarded-client-cert";

struct PeerFacts {
  std::string by;                // our own SPIFFE ID ("" when our certificate has none)
  std::string hash;              // hex SHA-256 of the peer's leaf certificate (DER), lower case
  std::string uri;               // the peer's SPIFFE ID, else its single URI SAN, else ""
  std::vector<std::string> dns;  // its DNS SANs
  std::string subject;           // its subject, RFC 2253
  std::string xfcc;              // the header value, formatted once
};

// From an established TLS connection: `peer` is what the handshake's check extracted.
PeerFacts peer_facts(SSL* ssl, const certs::PeerIdentity& peer);

// Envoy's element format: Key=Value pairs joined by ';', DNS once per SAN; a value holding
// ',', ';', '=' or '"' is double-quoted with '"' and '\' escaped; Subject always quoted (Envoy's
// rule, kept should Subject ever be added). Values are certs::printable(): no CR, LF or NUL can
// reach a header from a certificate.
std::string format_xfcc(const PeerFacts& facts);

// Removes every x-forwarded-client-cert and every configured identity header from `head`, then
// sets ours.
void apply_identity(Head& head, const PeerFacts& facts, const config::IdentityHeaders& names);

}  // namespace mtls::proxy::http
