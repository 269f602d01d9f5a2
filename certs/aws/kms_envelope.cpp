#include "certs/aws/kms_envelope.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <memory>
#include <stdexcept>
#include <vector>

#include "certs/aws/json_client.hpp"

namespace mtls::certs::aws {
namespace {

namespace json = boost::json;

constexpr std::string_view kBegin = "-----BEGIN MTLS KMS ENVELOPE-----";
constexpr std::string_view kEnd = "-----END MTLS KMS ENVELOPE-----";
constexpr std::size_t kNonceSize = 12, kTagSize = 16, kKeySize = 32;
const char* const kHeaders[] = {"Version", "Key-Id", "Encryption-Context", "Data-Key", "Nonce"};

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::string context_json(const EncryptionContext& context) {
  json::object o;
  for (const auto& [k, v] : context) o[k] = v;
  return json::serialize(o);
}

EncryptionContext parse_context(std::string_view text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) throw std::runtime_error("Encryption-Context is not a JSON object");
  EncryptionContext out;
  for (const auto& [k, value] : v.as_object()) {
    if (!value.is_string())
      throw std::runtime_error("Encryption-Context value of " + std::string(k) + " is not text");
    out[std::string(k)] = std::string(value.as_string());
  }
  return out;
}

std::string decode(std::string_view text, const char* what) {
  try {
    return base64_decode(text);
  } catch (const std::invalid_argument&) {
    throw std::runtime_error(std::string(what) + " is not base64");
  }
}

void check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("AES-256-GCM: ") + what + " failed");
}

}  // namespace

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    OPENSSL_cleanse(bytes_.data(), bytes_.size());
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretBytes::~SecretBytes() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

bool looks_like_envelope(std::string_view text) {
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && text.substr(start).starts_with(kBegin);
}

KmsEnvelope parse_envelope(std::string_view text) {
  const std::vector<std::string_view> lines = lines_of(text);
  std::size_t i = 0;
  while (i < lines.size() && lines[i].empty()) ++i;
  if (i == lines.size() || lines[i] != kBegin)
    throw std::runtime_error("not a KMS envelope (no \"" + std::string(kBegin) +
                             "\" line; make one with mtls-sidecar kms-wrap)");
  ++i;
  KmsEnvelope e;
  std::string values[std::size(kHeaders)];
  for (std::size_t h = 0; h < std::size(kHeaders); ++h, ++i) {
    const std::string name = kHeaders[h];
    if (i == lines.size() || !lines[i].starts_with(name + ": "))
      throw std::runtime_error("line " + std::to_string(i + 1) + ": expected " + name + ":");
    values[h] = std::string(lines[i].substr(name.size() + 2));
    e.header += std::string(lines[i]) + "\n";
  }
  if (values[0] != "1")
    throw std::runtime_error("Version " + values[0] + " is not supported (this build reads 1)");
  if (i == lines.size() || !lines[i].empty())
    throw std::runtime_error("line " + std::to_string(i + 1) +
                             ": expected a blank line after the headers");
  e.key_id = values[1];
  e.context = parse_context(values[2]);
  e.wrapped_key = decode(values[3], "Data-Key");
  e.nonce = decode(values[4], "Nonce");
  if (e.key_id.empty() || e.wrapped_key.empty())
    throw std::runtime_error("empty Key-Id or Data-Key");
  if (e.nonce.size() != kNonceSize) throw std::runtime_error("Nonce is not 12 bytes");
  std::string body;
  for (++i; i < lines.size() && lines[i] != kEnd; ++i) body += lines[i];
  if (i == lines.size()) throw std::runtime_error("no \"" + std::string(kEnd) + "\" line");
  e.sealed = decode(body, "the body");
  if (e.sealed.size() <= kTagSize) throw std::runtime_error("the body is too short");
  return e;
}

std::string seal_envelope(const std::string& key_id, const EncryptionContext& context,
                          const std::string& wrapped_key, const SecretBytes& data_key,
                          std::string_view plaintext) {
  if (data_key.bytes().size() != kKeySize) throw std::runtime_error("data key is not 256 bits");
  std::string nonce(kNonceSize, '\0');
  check(RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), int(nonce.size())), "RAND");
  const std::string header =
      "Version: 1\nKey-Id: " + key_id + "\nEncryption-Context: " + context_json(context) +
      "\nData-Key: " + base64_encode(wrapped_key) + "\nNonce: " + base64_encode(nonce) + "\n";
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  const auto* key = reinterpret_cast<const unsigned char*>(data_key.bytes().data());
  check(EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key,
                            reinterpret_cast<const unsigned char*>(nonce.data()), nullptr),
        "init");
  int n = 0;
  check(
      EVP_EncryptUpdate(ctx.get(), nullptr, &n,
                        reinterpret_cast<const unsigned char*>(header.data()), int(header.size())),
      "aad");
  std::string sealed(plaintext.size() + kTagSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  check(EVP_EncryptUpdate(ctx.get(), out, &n,
                          reinterpret_cast<const unsigned char*>(plaintext.data()),
                          int(plaintext.size())),
        "encrypt");
  int tail = 0;
  check(EVP_EncryptFinal_ex(ctx.get(), out + n, &tail), "final");
  check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, int(kTagSize), out + plaintext.size()),
        "tag");
  const std::string body = base64_encode(sealed);
  std::string text = std::string(kBegin) + "\n" + header + "\n";
  for (std::size_t at = 0; at < body.size(); at += 64) text += body.substr(at, 64) + "\n";
  return text + std::string(kEnd) + "\n";
}

SecretBytes open_envelope(const KmsEnvelope& e, const SecretBytes& data_key) {
  if (data_key.bytes().size() != kKeySize)
    throw std::runtime_error("KMS returned a data key that is not 256 bits");
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  check(EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(),
                            reinterpret_cast<const unsigned char*>(data_key.bytes().data()),
                            reinterpret_cast<const unsigned char*>(e.nonce.data()), nullptr),
        "init");
  int n = 0;
  check(EVP_DecryptUpdate(ctx.get(), nullptr, &n,
                          reinterpret_cast<const unsigned char*>(e.header.data()),
                          int(e.header.size())),
        "aad");
  const std::size_t size = e.sealed.size() - kTagSize;
  SecretBytes plain{std::string(size, '\0')};
  auto* out = reinterpret_cast<unsigned char*>(const_cast<char*>(plain.bytes().data()));
  check(EVP_DecryptUpdate(ctx.get(), out, &n,
                          reinterpret_cast<const unsigned char*>(e.sealed.data()), int(size)),
        "decrypt");
  std::string tag = e.sealed.substr(size);
  check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, int(kTagSize), tag.data()), "tag");
  int tail = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out + n, &tail) != 1)
    throw std::runtime_error(
        "the envelope does not authenticate (tampered header or body, or another data key)");
  return plain;
}

}  // namespace mtls::certs::aws
