#pragma once
// The KMS envelope: a private key at rest, encrypted with a 256-bit data key that only KMS can
// unwrap (GenerateDataKey at wrap time, Decrypt at load). Text, so it travels like a PEM file
// (Kubernetes Secrets, ConfigMaps, git-crypt-free repos):
//
//   -----BEGIN MTLS KMS ENVELOPE-----
//   Version: 1
//   Key-Id: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-...
//   Encryption-Context: {"purpose":"mtls-sidecar-tls-key"}
//   Data-Key: <base64 CiphertextBlob from KMS>
//   Nonce: <base64, 12 bytes>
//
//   <base64 of AES-256-GCM(data key, nonce, PKCS#8 DER of the key) || 16-byte tag, 64 a line>
//   -----END MTLS KMS ENVELOPE-----
//
// The header block (every byte from "Version" to the blank line) is GCM's additional data, so a
// changed header (another key id, context or nonce) fails authentication like a changed body. The
// data key and the context are bound together by KMS as well: Decrypt refuses a context that
// differs from the one given at wrap time. Version 1 knows exactly these five headers, in this
// order; anything else is refused rather than guessed at. Pure functions, thread-safe.

#include <map>
#include <string>
#include <string_view>

namespace mtls::certs::aws {

// Bytes that are wiped (OPENSSL_cleanse) when the holder goes: data keys and key plaintext.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

using EncryptionContext = std::map<std::string, std::string>;

// What kms-wrap binds the data key to when no --context is given: a KMS key policy can then allow
// Decrypt for this purpose only (Condition kms:EncryptionContext:purpose).
inline const EncryptionContext kDefaultContext{{"purpose", "mtls-sidecar-tls-key"}};

struct KmsEnvelope {
  std::string key_id;  // the KMS key ARN GenerateDataKey reported
  EncryptionContext context;
  std::string wrapped_key;  // CiphertextBlob, raw bytes
  std::string nonce;        // 12 bytes
  std::string sealed;       // ciphertext || 16-byte tag
  std::string header;       // the authenticated header block, as written
};

// Throws std::runtime_error saying what is wrong ("line 3: expected Key-Id").
KmsEnvelope parse_envelope(std::string_view text);
bool looks_like_envelope(std::string_view text);  // starts with the BEGIN line

// Encrypts `plaintext` with `data_key` (32 bytes) under a fresh random nonce.
std::string seal_envelope(const std::string& key_id, const EncryptionContext& context,
                          const std::string& wrapped_key, const SecretBytes& data_key,
                          std::string_view plaintext);
// Throws std::runtime_error when the tag does not verify (tampered header or body, wrong key).
SecretBytes open_envelope(const KmsEnvelope& envelope, const SecretBytes& data_key);

}  // namespace mtls::certs::aws
