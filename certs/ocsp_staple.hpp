#pragma once
// The OCSP response we staple for our own leaf: where the leaf says its responder is, which
// certificate issued it, the check a staple must pass before it is served, and serving it.
// A staple is checked when it is loaded (a bad or stale one fails the load, so the previous
// identity keeps serving) and served as loaded: the reload triggers replace it before its
// nextUpdate (certs::staple_refresh_delay).

#include <openssl/ssl.h>

#include <chrono>
#include <ctime>
#include <string>

#include "certs/certificate_bundle.hpp"
#include "certs/ocsp_response.hpp"

namespace mtls::certs {

// The first OCSP responder URL of the leaf's Authority Information Access; "" when it has none.
std::string ocsp_url(X509* leaf);

// The certificate of `bundle` (chain or anchors) that issued its leaf; null when none does.
X509* leaf_issuer(const CertificateBundle& bundle);

// Checks bundle.ocsp_response (when not empty) for the bundle's leaf at `now`. Throws LoadError
// at bundle.ocsp_from.field naming the file or URL. A `revoked` (or `unknown`) status loads: it
// is the truth about us, and peers that check OCSP are meant to refuse us for it (the caller
// warns).
OcspStatus check_own_staple(const CertificateBundle& bundle, std::time_t now);

// How long to serve a fetched staple before fetching again: half its remaining validity (at
// least 5 s; an hour when it has no nextUpdate), as Envoy and Caddy renew.
std::chrono::seconds staple_refresh_delay(const OcspStatus& status, std::time_t now);

// Installs the server-side status callback: `der` (owned by the caller, alive as long as the
// context) is stapled to every handshake whose client asks, TLS 1.2 (CertificateStatus) and
// TLS 1.3 (in the Certificate message). An empty `der` staples nothing.
void serve_staple(SSL_CTX* server, const std::string* der);

}  // namespace mtls::certs
