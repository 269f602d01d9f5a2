#include "certs/spki_pin.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstddef>

namespace mtls::certs {

std::string spki_sha256_base64(X509* cert) {
  X509_PUBKEY* key = cert ? X509_get_X509_PUBKEY(cert) : nullptr;
  unsigned char* der = nullptr;
  const int length = key ? i2d_X509_PUBKEY(key, &der) : -1;
  if (length <= 0) return {};
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  const bool hashed = EVP_Digest(der, static_cast<std::size_t>(length), digest.data(), nullptr,
                                 EVP_sha256(), nullptr) == 1;
  OPENSSL_free(der);
  if (!hashed) return {};
  std::array<unsigned char, 4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1> text{};
  const int written = EVP_EncodeBlock(text.data(), digest.data(), SHA256_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(text.data()), static_cast<std::size_t>(written));
}

std::optional<Verdict> spki_refusal(X509* leaf, const std::vector<std::string>& pins) {
  if (pins.empty()) return std::nullopt;
  const std::string seen = spki_sha256_base64(leaf);
  // Pins are canonical base64 (config checks them), so equal keys give equal text.
  if (!seen.empty() && std::find(pins.begin(), pins.end(), seen) != pins.end()) return std::nullopt;
  return Verdict{.allowed = false,
                 .reason = "spki_mismatch",
                 .detail = "the server's key (spki_sha256 " + (seen.empty() ? "?" : seen) +
                           ") is not in expect.spki_sha256"};
}

}  // namespace mtls::certs
