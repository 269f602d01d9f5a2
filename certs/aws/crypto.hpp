#pragma once
// The two primitives SigV4 needs, over OpenSSL 3's one-shot EVP APIs. Thread-safe (no state).
// Throw std::runtime_error only if OpenSSL itself fails (out of memory, broken provider).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mtls::certs::aws {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::string_view data);
Digest hmac_sha256(std::string_view key, std::string_view data);

// Lowercase hex, as SigV4 writes hashes and signatures.
std::string to_hex(const Digest& digest);

inline std::string_view as_view(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace mtls::certs::aws
