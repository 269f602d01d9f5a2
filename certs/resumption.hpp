#pragma once
// How long a TLS session may be resumed, in both directions, and what a resumed handshake must
// still check. A resumed handshake verifies no chain, and OpenSSL 3 re-stamps the session time on
// every ticket it issues on a resumed handshake: without a bound of our own, a peer reconnecting
// more often than the session timeout keeps resuming after its certificate expired.
//
// The bound is min(peer leaf notAfter, time of the full handshake + tls.session_max_age). It is
// stamped on the SSL_SESSION (ex_data) by the new-session callbacks the first time a session of
// a full handshake is seen; OpenSSL copies ex_data into every session it duplicates from it (the
// ticket renewed on a resumed handshake), so renewing cannot extend it.
// Thread-safety: stamp only a session no other thread can see yet; reading is safe on a shared one.

#include <openssl/ssl.h>

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "certs/crl_policy.hpp"
#include "metrics/labels.hpp"

namespace mtls::certs {

using WallClock = std::chrono::system_clock;

// Stamps the bound on a session of a full handshake; a session already stamped keeps its bound.
// `staple_next_update` (0: none): the nextUpdate of the server's OCSP response checked in that
// handshake (trust.ocsp), past which its status is no longer known: the bound is no later.
void stamp_resume_deadline(SSL_SESSION* session, std::chrono::milliseconds max_age,
                           WallClock::time_point now, std::time_t staple_next_update = 0);
// The stamped bound; time_point{} when none (such a session is not resumed: fail closed).
WallClock::time_point resume_deadline(const SSL_SESSION* session);
bool may_resume(const SSL_SESSION* session, WallClock::time_point now);

struct ResumedCheck {
  metrics::HandshakeReason reason = metrics::HandshakeReason::ok;  // ok: the peer may go on
  std::string detail;
};

// After a resumed handshake: the peer leaf's validity window and, unless stale CRLs are accepted,
// the freshness of the CRLs that cover the leaf and the chain it was verified with.
ResumedCheck check_resumed_peer(SSL* ssl, const std::vector<CrlInfo>& crls, bool accept_stale_crl,
                                std::time_t now);

}  // namespace mtls::certs
