#pragma once
// SPKI pinning (outbound expect.spki_sha256): the server leaf's public key must be one of a list,
// as Envoy's verify_certificate_spki and HPKP pin it. A pin names a key, not a certificate: a
// certificate re-issued for the same key still matches, one with a new key does not.
// Pure functions over an X509; thread-safe.

#include <openssl/x509.h>

#include <optional>
#include <string>
#include <vector>

#include "certs/peer_identity.hpp"

namespace mtls::certs {

// base64(SHA-256(DER SubjectPublicKeyInfo)) of `cert`, "" if it cannot be encoded.
std::string spki_sha256_base64(X509* cert);

// The refusal (reason "spki_mismatch", naming the digest seen) when `pins` is non-empty and the
// leaf's key is not among them; nullopt when it is, or when there are no pins.
std::optional<Verdict> spki_refusal(X509* leaf, const std::vector<std::string>& pins);

}  // namespace mtls::certs
