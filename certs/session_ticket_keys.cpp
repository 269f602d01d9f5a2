#include "certs/session_ticket_keys.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace mtls::certs {
namespace {

int ticket_keys_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

SessionTicketKeys::Key random_key() {
  SessionTicketKeys::Key key{};
  if (RAND_bytes(key.name.data(), int(key.name.size())) != 1 ||
      RAND_priv_bytes(key.aes.data(), int(key.aes.size())) != 1 ||
      RAND_priv_bytes(key.hmac.data(), int(key.hmac.size())) != 1) {
    throw std::runtime_error("session ticket keys: the random generator failed");
  }
  return key;
}

void wipe(SessionTicketKeys::Key& key) {
  OPENSSL_cleanse(key.aes.data(), key.aes.size());
  OPENSSL_cleanse(key.hmac.data(), key.hmac.size());
}

bool set_hmac_key(EVP_MAC_CTX* mac, const SessionTicketKeys::Key& key) {
  static char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.hmac.data()), key.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

}  // namespace

SessionTicketKeys::SessionTicketKeys(Key current, std::optional<Key> previous)
    : current_(current), previous_(previous) {}

SessionTicketKeys::~SessionTicketKeys() {
  wipe(current_);
  if (previous_) wipe(*previous_);
}

std::shared_ptr<const SessionTicketKeys> SessionTicketKeys::generate() {
  return std::shared_ptr<const SessionTicketKeys>(
      new SessionTicketKeys(random_key(), std::nullopt));
}

std::shared_ptr<const SessionTicketKeys> SessionTicketKeys::rotated() const {
  return std::shared_ptr<const SessionTicketKeys>(new SessionTicketKeys(random_key(), current_));
}

void SessionTicketKeys::install(SSL_CTX* ctx) const {
  SSL_CTX_set_ex_data(ctx, ticket_keys_index(), const_cast<SessionTicketKeys*>(this));
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &SessionTicketKeys::callback);
}

const SessionTicketKeys::Key* SessionTicketKeys::find(const unsigned char* name) const {
  if (std::memcmp(name, current_.name.data(), current_.name.size()) == 0) return &current_;
  if (previous_ && std::memcmp(name, previous_->name.data(), previous_->name.size()) == 0)
    return &*previous_;
  return nullptr;
}

// OpenSSL's contract: on encryption return 1 after filling name and IV; on decryption 0 = unknown
// key (full handshake), 1 = ok, 2 = ok and issue a fresh ticket; -1 = error. A fresh ticket is
// due when the old key made it and, in TLS 1.3, always: OpenSSL's built-in keys do the same,
// since TLS 1.3 tickets are meant for one use (RFC 8446 §C.4) and a client that keeps offering
// one ticket is linkable. Nothing here may throw: it runs inside a handshake on a worker thread.
int SessionTicketKeys::callback(SSL* ssl, unsigned char* name, unsigned char* iv,
                                EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
  const auto* self = static_cast<const SessionTicketKeys*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ticket_keys_index()));
  if (self == nullptr) return encrypt ? -1 : 0;
  const int iv_length = EVP_CIPHER_get_iv_length(EVP_aes_256_cbc());
  if (encrypt) {
    const Key& key = self->current_;
    if (RAND_bytes(iv, iv_length) != 1) return -1;
    std::memcpy(name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1) return -1;
    return set_hmac_key(mac, key) ? 1 : -1;
  }
  const Key* key = self->find(name);
  if (key == nullptr) return 0;
  if (!set_hmac_key(mac, *key)) return -1;
  if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes.data(), iv) != 1) return -1;
  return key == &self->current_ && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
}

}  // namespace mtls::certs
