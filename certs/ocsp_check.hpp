#pragma once
// trust.ocsp on the client contexts: the client asks every server for its OCSP status, and the
// status callback (run by OpenSSL after the server's chain verified, before the handshake ends)
// checks what the server stapled. A refusal is recorded on the connection's PeerCheck with reason
// `revoked`, `ocsp_missing` or `ocsp_invalid`, which classify_handshake_failure reports, and the
// handshake fails with a bad_certificate_status_response alert.
// A resumed handshake gets no staple and runs no callback: the session was admitted by a full
// handshake under the same policy (it is part of the trust digest), and resumes only until the
// nextUpdate of the staple that admitted it (ClientSessionCache, certs/resumption.hpp).
// Server contexts check nothing: OpenSSL 3.0 servers never ask clients for their status.
// Thread-safety: the callback runs on worker threads and only reads the shared OcspPeers.

#include <openssl/ssl.h>

#include "certs/openssl_ptr.hpp"
#include "config/config.hpp"

namespace mtls::certs {

struct OcspPeers {
  config::OcspPolicy policy = config::OcspPolicy::off;
  X509StorePtr anchors;  // make_ocsp_store of every trust anchor
};

// Installs the request and the callback on a client context (nothing with policy off). `peers`
// must outlive the context.
void check_server_staples(SSL_CTX* client, const OcspPeers* peers);

}  // namespace mtls::certs
