#pragma once
// How trust.crl is applied to peer certificates, and what we report about the loaded CRLs.
//
// Revocation is checked for every certificate of a peer's chain (X509_V_FLAG_CRL_CHECK_ALL), as
// nginx and Envoy do. Two deliberate exceptions, made in the verify callback:
//  - a CA certificate (depth > 0) whose issuer published no CRL is accepted: a self-signed root has
//    nobody above it, and a root CA rarely publishes a CRL for its intermediates. A leaf whose
//    issuer has no CRL is refused (fail closed): trust.crl must cover every CA that issues peers.
//  - a CRL past its nextUpdate refuses the peers of that CA (OpenSSL's, nginx's and Envoy's
//    behaviour) with trust.crl_stale: refuse; with warn it is still used, and only logged.
// Thread-safety: the callbacks run on worker threads and read only their arguments.

#include <ctime>
#include <string>
#include <vector>

#include "certs/certificate_bundle.hpp"

namespace mtls::certs {

struct CrlInfo {
  std::string issuer;           // RFC 2253 text, the metric label
  std::time_t next_update = 0;  // 0: the CRL has no nextUpdate
};

// Throws std::runtime_error naming bundle.origin when a CRL is not signed by the CA it names
// (OpenSSL would otherwise refuse every peer of that CA with "CRL signature failure"). The CA is
// matched by name and authority key identifier among the anchors and our own chain's
// intermediates; a CRL of an intermediate only peers send is checked at their handshake.
void validate_crls(const CertificateBundle& bundle);

std::vector<CrlInfo> describe_crls(const CertificateBundle& bundle);

// Store flags for bundle.crls (0 when there are none).
unsigned long crl_verify_flags(const CertificateBundle& bundle);

// The SSL_CTX verify callback: the exceptions above, then PeerCheck::verify_callback.
using VerifyCallback = int (*)(int, X509_STORE_CTX*);
VerifyCallback verify_callback_for(bool accept_stale_crl);

// Whether a CRL issued by `cert`'s issuer (matched by name, as OpenSSL looks CRLs up) is past its
// nextUpdate at `now`. A resumed handshake runs no CRL check: this is how it refuses (crl_stale).
bool has_stale_crl(const std::vector<CrlInfo>& crls, const X509* cert, std::time_t now);

// Human lines for the log: stale CRLs and anchors that have no CRL while others do.
std::vector<std::string> crl_warnings(const std::vector<CrlInfo>& crls, std::time_t now,
                                      bool accept_stale_crl);
std::vector<std::string> anchors_without_crl(const CertificateBundle& bundle);

}  // namespace mtls::certs
