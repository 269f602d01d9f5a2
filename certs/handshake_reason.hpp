#pragma once
// The one place that maps a failed handshake to DESIGN.md's reason label, from what OpenSSL and
// our PeerCheck recorded. Logs and metrics both use its answer.

#include <openssl/ssl.h>

#include <string>

#include "certs/peer_check.hpp"
#include "metrics/labels.hpp"

namespace mtls::certs {

struct HandshakeFailure {
  metrics::HandshakeReason reason = metrics::HandshakeReason::other;
  std::string detail;  // human text for the log line
};

// `openssl_error`: the ERR_get_error() value the stream saw (0 if none); `peer_closed`: the
// transport ended (EOF/RST) before the handshake finished.
HandshakeFailure classify_handshake_failure(SSL* ssl, unsigned long openssl_error,
                                            const PeerCheck& check, bool peer_closed);

// Our PeerCheck's refusal -> reason (bad_certificate, spki_mismatch, else identity_denied).
metrics::HandshakeReason reason_for_verdict(const Verdict& verdict);

// X509_V_ERR_* -> reason (expired, not_yet_valid, revoked, crl_stale, unknown_ca, bad_certificate).
metrics::HandshakeReason reason_for_verify_error(long verify_error);

}  // namespace mtls::certs
