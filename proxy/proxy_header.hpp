#pragma once
// PROXY protocol v2 (HAProxy's doc/proxy-protocol.txt): the header an inbound listener with
// `proxy_protocol: v2` writes to `forward` before the client's first byte, so the app behind us
// learns the real client address and what the TLS handshake established.
//
// TLVs, as HAProxy's `send-proxy-v2-ssl-cn` sends them: PP2_TYPE_SSL (client flags, verify = 0,
// sub-TLVs VERSION, CIPHER, SIG_ALG and KEY_ALG of the certificate *we* presented — the spec's
// "certificate presented by the frontend" — and CN of the client's subject when it has one),
// then, in the custom range the spec reserves for applications, kTypeSpiffeId with the client's
// SPIFFE ID (no standard TLV carries one). 0xE1 because the clouds' load balancers use 0xE0 (GCP
// Private Service Connect), 0xEA (AWS VPC endpoint) and 0xEE (Azure Private Link).

#include <cstdint>
#include <string>

#include "certs/openssl_ptr.hpp"
#include "certs/peer_identity.hpp"
#include "proxy/net.hpp"

namespace mtls::proxy {

inline constexpr std::uint8_t kTypeSpiffeId = 0xE1;

struct ProxyTlsFacts {
  std::string version;      // "TLSv1.3"
  std::string cipher;       // OpenSSL's name: "TLS_AES_128_GCM_SHA256"
  std::string sig_alg;      // of our certificate's signature: "ecdsa-with-SHA256"
  std::string key_alg;      // of our certificate's key: "EC256", "RSA2048"
  std::string common_name;  // the client's subject CN; empty: none, no TLV
  std::string spiffe_id;    // the client's; empty: none, no TLV
  bool resumed = false;     // the certificate was presented in an earlier connection's handshake
};

// What a completed server-side handshake established.
ProxyTlsFacts proxy_tls_facts(SSL* ssl, const certs::PeerIdentity& client);

// The whole header: signature, PROXY command over TCP, the client's address as source and the
// address it connected to as destination (IPv4, or IPv6 when either is; IPv4-mapped IPv6
// addresses are sent as IPv4), then the TLVs.
std::string proxy_v2_header(const tcp::endpoint& client, const tcp::endpoint& local,
                            const ProxyTlsFacts& tls);

}  // namespace mtls::proxy
