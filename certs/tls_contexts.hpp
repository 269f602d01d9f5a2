#pragma once
// The immutable TLS state every worker shares: one server SSL_CTX (inbound listeners) and one
// client SSL_CTX (outbound listeners), built from a validated bundle and the TLS policy.
// Immutable after make_tls_contexts() returns: workers create SSLs from it concurrently, which
// OpenSSL allows. A connection keeps its shared_ptr, so a context outlives its SSLs.

#include <chrono>
#include <ctime>
#include <memory>
#include <string>

#include "certs/anchor_domains.hpp"
#include "certs/certificate_bundle.hpp"
#include "certs/crl_policy.hpp"
#include "certs/ocsp_check.hpp"
#include "certs/ocsp_response.hpp"
#include "certs/server_session_cache.hpp"
#include "config/config.hpp"

namespace mtls::certs {

struct TlsContexts {
  // Declared first so it is destroyed last: `server` points to it (SSL_CTX ex_data). Shared by
  // every contexts the store builds; the only mutable part, with its own lock.
  std::shared_ptr<ServerSessionCache> session_cache;
  // Which root vouches for which SPIFFE trust domain; both contexts point to it (SSL_CTX ex_data).
  std::shared_ptr<const AnchorDomains> anchor_domains;
  // The OCSP response the server context staples (DER; empty: none) and what it says, and what
  // the client context checks servers' staples with (trust.ocsp). Contexts point to both.
  std::string ocsp_staple;
  OcspStatus ocsp_status;
  bool ocsp_fetched = false;  // identity.file.ocsp_fetch: refresh it (certs::staple_refresh_delay)
  std::unique_ptr<const OcspPeers> ocsp_peers;
  SslCtxPtr server;
  SslCtxPtr client;
  // What is being served, for /certs, logs and metrics.
  X509Ptr leaf;
  std::vector<X509Ptr> trust;  // every anchor: trust.ca_bundle, then trust.domains
  std::string source;
  std::string identity;  // PeerIdentity::display() of our leaf
  std::string serial_hex;
  std::time_t not_before = 0;
  std::time_t not_after = 0;
  std::time_t trust_not_after = 0;  // earliest expiry among the anchors
  // SHA-256 over trust anchors, CRLs and TLS policy. Sessions are bound to it (with the listener)
  // through session_id_context, so a trust or CRL change invalidates every session.
  std::string trust_digest;
  std::vector<CrlInfo> crls;  // for the next-update gauge and stale-CRL warnings
  bool accept_stale_crl = false;
  // tls.session_max_age: outbound sessions are offered only until min(server leaf notAfter, their
  // full handshake + this) (certs/resumption.hpp); the inbound cache has its own copy.
  std::chrono::milliseconds session_max_age{std::chrono::hours(1)};
  // Things an operator should know about what was loaded (a CRL without a root's CRL, a stale
  // CRL); logged after the reload. certs/ itself does not log.
  std::vector<std::string> warnings;
};

// Validates the bundle, then builds both contexts. Throws std::runtime_error naming the bundle's
// origin on any failure; nothing is half-built. With `session_cache` (the store's) sessions
// resume across every contexts built with it; without, the server context uses OpenSSL's
// stateless tickets, which do not survive a reload.
std::shared_ptr<const TlsContexts> make_tls_contexts(
    const CertificateBundle& bundle, const config::TlsConfig& policy,
    std::shared_ptr<ServerSessionCache> session_cache = nullptr);

// The session_id_context of a listener's SSLs: H(trust_digest, listener, policy), so a session
// from one listener (or from before a trust change) never resumes on another. Computed once per
// listener and contexts (a hash), applied per connection with SSL_set_session_id_context.
std::string session_context_id(const TlsContexts& contexts, const std::string& listener,
                               const config::PeerPolicy& policy);

}  // namespace mtls::certs
