#include "certs/aws/crypto.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace mtls::certs::aws {
namespace {

[[noreturn]] void fail(const char* what) {
  unsigned long code = ERR_get_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  throw std::runtime_error(std::string(what) + ": " + text);
}

}  // namespace

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  ERR_clear_error();
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    fail("SHA-256");
  }
  return out;
}

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  size_t len = 0;
  ERR_clear_error();
  // EVP_Q_mac: the OpenSSL 3 replacement of the deprecated HMAC(); one call, no context to keep.
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                out.size(), &len) == nullptr ||
      len != out.size()) {
    fail("HMAC-SHA256");
  }
  return out;
}

std::string to_hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (std::uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

}  // namespace mtls::certs::aws
