#pragma once
// The `tls:` policy (versions, profile, TLS 1.2 ciphers, TLS 1.3 suites, groups, signature
// algorithms) applied to an SSL_CTX, and checked value by value against the OpenSSL in use.
// config/ checks syntax and the profile's rules; only OpenSSL knows what it supports, so each
// value is tried alone on a scratch context: a list OpenSSL accepts as a whole may still hold
// a name it silently skips.

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "config/config.hpp"

namespace mtls::certs {

// What is used when the config leaves a list empty.
// TLS 1.2: Mozilla "intermediate" without its DHE suites (forward-secret AEAD, ECDHE only).
inline constexpr const char* kDefaultTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// TLS 1.3: AES-128-GCM first, as BoringSSL, Go and rustls order them (measured faster than
// OpenSSL's AES-256-first default: tests/bench/README.md, "TLS 1.3 suite order").
inline constexpr const char* kDefaultTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
inline constexpr const char* kDefaultGroups = "X25519:P-256:P-384";

struct PolicyProblem {
  std::string field;  // "tls.groups[2]"
  std::string message;
};

// Every value of `policy` the OpenSSL in use refuses, at its field (a list item: the item).
std::vector<PolicyProblem> check_tls_policy(const config::TlsConfig& policy);

// Applies the whole policy to `ctx`. Throws LoadError at the field OpenSSL refused.
void apply_tls_policy(SSL_CTX* ctx, const config::TlsConfig& policy);

// A canonical text of the policy, for the trust digest: sessions made under one policy do not
// resume under another.
std::string tls_policy_text(const config::TlsConfig& policy);

}  // namespace mtls::certs
