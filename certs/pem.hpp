#pragma once
// Loading certificates and private keys from PEM files or memory. Thread-safe (no shared state).
// Every error is a std::runtime_error whose message names the file and the reason, e.g.
// "tls.key: cannot decrypt private key (wrong passphrase?)".

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "certs/openssl_ptr.hpp"

namespace mtls::certs {

// All certificates in the file, in order; throws if none or if one is malformed.
std::vector<X509Ptr> load_certificates(const std::string& path);
std::vector<X509Ptr> parse_certificates(std::string_view pem, const std::string& name);

// A private key: PKCS#8 (encrypted when `passphrase` is non-empty), SEC1 EC or PKCS#1 RSA.
// A passphrase given for an unencrypted key is ignored; an encrypted key without one is an error.
EvpPkeyPtr load_private_key(const std::string& path, const std::string& passphrase = {});
EvpPkeyPtr parse_private_key(std::string_view pem, const std::string& name,
                             const std::string& passphrase = {});

// All CRLs in a PEM file.
std::vector<X509CrlPtr> load_crls(const std::string& path);

// The passphrase from a file (trailing newline stripped) or an environment variable;
// empty when both names are empty. Throws naming the file or variable when it cannot be read.
std::string read_passphrase(const std::string& file, const std::string& env);
// Moves the variable `env` out of the environment into process memory that read_passphrase()
// reads from then on: its bytes in the environment block are overwritten (that block is what
// /proc/PID/environ shows, unsetenv alone leaves it there) and the variable is unset. No-op for
// an empty name or an unset variable. Not thread-safe (the environment is not): call it before
// any thread starts.
void take_passphrase_env(const std::string& env);

// PEM text, for writing files and for tests. `passphrase` non-empty: encrypted PKCS#8 (AES-256-CBC,
// key from scrypt with N = kScryptN, r = kScryptR, p = kScryptP).
inline constexpr std::uint64_t kScryptN = 1 << 14, kScryptR = 8, kScryptP = 1;
std::string to_pem(X509* cert);
std::string to_pem(EVP_PKEY* key, const std::string& passphrase = {});

// Whole file as a string; throws "PATH: cannot read: <strerror>". Key buffers are cleansed by
// callers.
std::string read_file(const std::string& path);
// Writes atomically (temp file + rename) with the given mode (0600 for keys).
void write_file(const std::string& path, std::string_view data, unsigned mode);

}  // namespace mtls::certs
