#pragma once
// Session ticket keys shared by every server SSL_CTX the TlsContextStore builds, so a ticket
// issued before an identity swap still decrypts after it (DESIGN.md §3: resumption survives a
// leaf rotation; a trust or CRL change still invalidates sessions through session_id_context).
//
// A key set is immutable: rotation makes a new set (fresh current key, the old current kept for
// decryption only) and the store publishes new contexts carrying it. The ticket callback runs on
// worker threads and reads the set through its SSL_CTX without any lock or atomic: the set lives
// as long as the TlsContexts that hold it, and is never written after construction.
// Ticket format: AES-256-CBC + HMAC-SHA256 (EVP_MAC), as OpenSSL's own default keys.

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>

namespace mtls::certs {

class SessionTicketKeys {
 public:
  // Tickets outlive one rotation period and die with the next: with OpenSSL's 2 h ticket
  // lifetime and a 1 h period, a ticket stays decryptable for 1 to 2 h.
  static constexpr std::chrono::hours kRotationPeriod{1};

  struct Key {
    std::array<unsigned char, 16> name;  // sent in the ticket: picks the key on decryption
    std::array<unsigned char, 32> aes;
    std::array<unsigned char, 32> hmac;
  };

  // A fresh set with one random key. Throws std::runtime_error when the RNG fails.
  static std::shared_ptr<const SessionTicketKeys> generate();
  // A new set: a fresh current key, this set's current kept to decrypt (and renew) old tickets.
  std::shared_ptr<const SessionTicketKeys> rotated() const;

  // Installs the ticket callback on a server context; `this` must outlive `ctx`.
  void install(SSL_CTX* ctx) const;

  const Key& current() const { return current_; }
  const std::optional<Key>& previous() const { return previous_; }

  SessionTicketKeys(const SessionTicketKeys&) = delete;
  SessionTicketKeys& operator=(const SessionTicketKeys&) = delete;
  ~SessionTicketKeys();

 private:
  SessionTicketKeys(Key current, std::optional<Key> previous);
  static int callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                      EVP_MAC_CTX* mac, int encrypt);
  const Key* find(const unsigned char* name) const;

  Key current_;
  std::optional<Key> previous_;
};

}  // namespace mtls::certs
