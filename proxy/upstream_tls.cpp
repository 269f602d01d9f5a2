#include "proxy/upstream_tls.hpp"

#include <ctime>

#include "certs/peer_recheck.hpp"
#include "certs/resumption.hpp"

namespace mtls::proxy {
using metrics::HandshakeReason;

certs::HandshakeFailure check_established(SSL* ssl, certs::PeerCheck& check,
                                          const certs::TlsContexts& used,
                                          const std::shared_ptr<const certs::TlsContexts>& latest) {
  const certs::Verdict& verdict = check.finish(ssl);  // resumed sessions are checked here
  if (!verdict.allowed) {
    return {certs::reason_for_verdict(verdict), verdict.detail};
  }
  if (SSL_session_reused(ssl)) {
    // No chain was verified: the leaf's validity and the CRLs' freshness are checked here.
    const certs::ResumedCheck resumed =
        certs::check_resumed_peer(ssl, used.crls, used.accept_stale_crl, std::time(nullptr));
    if (resumed.reason != HandshakeReason::ok) return {resumed.reason, resumed.detail};
  }
  // The trust changed while this handshake ran on the old snapshot: verify under the new one.
  if (latest && latest->trust_digest != used.trust_digest) {
    return certs::recheck_peer(ssl, check, *latest);
  }
  return {HandshakeReason::ok, {}};
}

void count_established(metrics::ListenerCounters& counters, SSL* ssl, std::string_view peer,
                       double seconds) {
  counters.handshake(HandshakeReason::ok);
  counters.peers.count(peer);
  counters.handshake_seconds.observe(seconds);
  if (SSL_session_reused(ssl)) counters.resumed.add();
  const int version = SSL_version(ssl);
  if (version == TLS1_3_VERSION)
    counters.tls_versions[metrics::index(metrics::TlsVersion::tls1_3)].add();
  if (version == TLS1_2_VERSION)
    counters.tls_versions[metrics::index(metrics::TlsVersion::tls1_2)].add();
}

}  // namespace mtls::proxy
