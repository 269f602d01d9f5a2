#pragma once
// The checks after an upstream mTLS handshake, shared by the outbound TCP session and the
// HTTP upstream pool so that both originate TLS the same way: one SSL setup, one set of checks
// after the handshake, the same metrics. Worker-thread only.

#include <memory>
#include <string_view>

#include "certs/handshake_reason.hpp"
#include "certs/openssl_ptr.hpp"
#include "certs/peer_check.hpp"
#include "certs/tls_contexts.hpp"
#include "metrics/worker_counters.hpp"
#include "proxy/listener_spec.hpp"
#include "proxy/ssl_setup.hpp"  // make_client_ssl

namespace mtls::proxy {

// Once a handshake step returned ok (either side): the policy verdict (a resumed session is
// checked here, the verify callback did not run), for a resumed session the leaf's validity and
// the CRLs' freshness, and when the trust changed during the handshake (`latest` differs from
// `used`), the peer re-verified under the new trust. reason ok: the peer may go on.
certs::HandshakeFailure check_established(SSL* ssl, certs::PeerCheck& check,
                                          const certs::TlsContexts& used,
                                          const std::shared_ptr<const certs::TlsContexts>& latest);

// Counts an accepted handshake: result ok, the peer, its duration, resumption, TLS version.
void count_established(metrics::ListenerCounters& counters, SSL* ssl, std::string_view peer,
                       double seconds);

}  // namespace mtls::proxy
