// Fuzz target: private key loading (certs::parse_private_key): PKCS#8 plain and encrypted
// (PBES2 with PBKDF2 or scrypt, PKCS#5 v1), SEC1 EC, PKCS#1 RSA, and legacy PEM encryption.
// Input: byte 0 picks the PEM label the rest is wrapped in (0 PRIVATE KEY, 1 ENCRYPTED PRIVATE
// KEY, 2 EC PRIVATE KEY, 3 RSA PRIVATE KEY) or 4: the rest is PEM text as is; byte 1 picks the
// passphrase (0 none, 1 "fuzz-pass", the one make_key_seeds.sh encrypts with, 2 a wrong one).
// Contract checked, beyond "no crash, no leak, no UB":
//  - a key or a std::runtime_error starting with the name; an empty OpenSSL error queue after;
//  - an encrypted PKCS#8 key without a passphrase is an error (never a prompt, never a key);
//  - a key it returns can be written back (to_pem) and read again, or to_pem throws cleanly.
// Inputs with a costly KDF are skipped (kdf_cost.hpp).

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "certs/pem.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/kdf_cost.hpp"

namespace {

using namespace mtls;

constexpr const char* kLabels[] = {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY",
                                   "RSA PRIVATE KEY"};
constexpr const char* kPassphrases[] = {"", "fuzz-pass", "wrong-pass"};

// Really an EncryptedPrivateKeyInfo, not a plain key under that label (which OpenSSL's decoder
// passes through, and which needs no passphrase).
bool is_encrypted_pkcs8(const std::uint8_t* der, std::size_t size) {
  const unsigned char* p = der;
  X509_SIG* sig = d2i_X509_SIG(nullptr, &p, static_cast<long>(size));
  const bool whole = sig != nullptr && p == der + size;
  X509_SIG_free(sig);
  ERR_clear_error();
  return whole;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return -1;
  const unsigned mode = data[0] % 5;
  const std::string passphrase = kPassphrases[data[1] % 3];
  const std::string pem = mode < 4 ? fuzz::der_to_pem(kLabels[mode], data + 2, size - 2)
                                   : std::string(fuzz::as_text(data + 2, size - 2));
  if (fuzz::has_costly_kdf(pem)) return -1;

  certs::EvpPkeyPtr key;
  try {
    key = certs::parse_private_key(pem, "fuzz.key", passphrase);
  } catch (const std::runtime_error& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz.key: "), e.what());
  }
  FUZZ_CHECK(ERR_peek_error() == 0, "OpenSSL error queue not empty after parse_private_key");
  if (!key) return 0;
  FUZZ_CHECK(!(mode == 1 && passphrase.empty() && is_encrypted_pkcs8(data + 2, size - 2)),
             "encrypted PKCS#8 key loaded without passphrase");

  std::string again;
  try {
    again = certs::to_pem(key.get());
  } catch (const std::runtime_error&) {
    ERR_clear_error();
    return 0;  // a key OpenSSL cannot encode back: refused cleanly
  }
  try {
    FUZZ_CHECK(certs::parse_private_key(again, "again.key") != nullptr, "null key");
  } catch (const std::runtime_error& e) {
    FUZZ_CHECK(false, std::string("a key written by to_pem does not load again: ") + e.what());
  }
  OPENSSL_cleanse(again.data(), again.size());
  return 0;
}
