#pragma once
// Re-verifying the peer of an established connection against new trust. A connection outlives
// the trust it was verified under: after a trust or CRL reload, each worker asks this of its live
// sessions and closes the ones the new trust refuses (a revoked peer, an anchor removed, a CRL
// gone stale), which a resumption bound or a new handshake would never reach.
// Runs the same chain verification as a handshake (the context's store, CRL flags, purpose,
// depth and verify callback, so PeerCheck's identity policy too) over the certificates the peer
// presented. Worker-thread only: `check` is the PeerCheck attached to `ssl`.

#include <openssl/ssl.h>

#include "certs/handshake_reason.hpp"
#include "certs/peer_check.hpp"
#include "certs/tls_contexts.hpp"

namespace mtls::certs {

// reason ok: the peer is still accepted.
HandshakeFailure recheck_peer(SSL* ssl, const PeerCheck& check, const TlsContexts& contexts);

}  // namespace mtls::certs
