#pragma once
// The inbound session cache: stateful TLS 1.3 tickets (and TLS 1.2 session IDs), shared by every
// server SSL_CTX the TlsContextStore builds, so a session from before an identity swap still
// resumes after it (DESIGN.md §3); a trust or CRL change ends sessions through session_id_context
// and the store clears the cache then.
//
// Why stateful: OpenSSL 3.0's stateless ticket carries the whole session, client certificate
// included, so every resumption decrypts and decodes it (d2i_SSL_SESSION: 3.3 M of the inbound's
// 6.0 M instructions per resumed connection) and every new ticket re-encodes it. Here a ticket is
// a 32-byte random session ID and resumption is a hash lookup: 2.6 M instructions
// (tests/bench/README.md). No ticket key exists, so none needs rotating or can leak.
//
// OpenSSL's own cache belongs to one SSL_CTX and dies with it at every reload; this one is owned
// by the store and installed as the external cache (SSL_CTX_sess_set_new_cb / get_cb / remove_cb)
// of each server context. Workers call it during handshakes, so one mutex guards it: it is held
// for a hash lookup or insert, once or twice per handshake, never for I/O or crypto.
// Sessions are multi-use until they expire or are evicted, oldest first, beyond `capacity`: an
// outbound sidecar offers its newest ticket to every connection it opens, so single-use tickets
// would turn concurrent connections into full handshakes. A session expires at its resumption
// bound (certs/resumption.hpp: min(client leaf notAfter, full handshake + max_age)), which a
// ticket renewed on a resumed handshake inherits; past it the client gets a full handshake.
// OpenSSL writes into the session it resumes (ticket identity, resumable flag), so each resumption
// gets a private copy: the cached session is never written once cached.

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <list>
#include <mutex>
#include <unordered_map>

namespace mtls::certs {

class ServerSessionCache {
 public:
  // A cached session costs 1.2 KiB when it comes from a resumption (it shares the parsed client
  // certificate with its parent) and 6.2 KiB after a full handshake (its own parsed certificate),
  // measured with 5000 sessions. 2048 bound the cache at 2.4-12.4 MiB however many clients come
  // and go, and keep a session resumable while fewer than 2048 newer ones arrived. (HAProxy's
  // default is 20000 sessions in a fixed shared-memory block.)
  static constexpr std::size_t kDefaultCapacity = 2048;

  explicit ServerSessionCache(std::size_t capacity = kDefaultCapacity,
                              std::chrono::milliseconds max_age = std::chrono::hours(1))
      : capacity_(capacity), max_age_(max_age) {}
  ~ServerSessionCache();
  ServerSessionCache(const ServerSessionCache&) = delete;
  ServerSessionCache& operator=(const ServerSessionCache&) = delete;

  // Makes this the session cache of a server context: stateful tickets (SSL_OP_NO_TICKET), no
  // internal cache, OpenSSL's session timeout (and the lifetime hint sent to clients) = max_age.
  // `this` must outlive `ctx` (TlsContexts holds both, the cache declared first).
  void install(SSL_CTX* ctx);
  // Forgets every session (a trust change: none of them can resume any more).
  void clear();
  std::size_t size() const;

 private:
  struct Id {
    std::array<unsigned char, SSL_MAX_SSL_SESSION_ID_LENGTH> bytes{};
    unsigned length = 0;
    bool operator==(const Id&) const = default;
  };
  struct IdHash {
    std::size_t operator()(const Id& id) const noexcept;  // IDs are random: their first bytes do
  };
  struct Entry {
    Id id;
    SSL_SESSION* session;  // one reference, owned by the cache
    std::time_t expires;   // OpenSSL's timeout or the resumption bound, the earlier
  };

  static int on_new(SSL* ssl, SSL_SESSION* session);
  static SSL_SESSION* on_get(SSL* ssl, const unsigned char* id, int length, int* copy);
  static void on_remove(SSL_CTX* ctx, SSL_SESSION* session);
  static Id id_of(const unsigned char* bytes, unsigned length);

  // All below: with mutex_ held.
  void erase(std::list<Entry>::iterator it);
  void evict(std::time_t now);

  const std::size_t capacity_;
  const std::chrono::milliseconds max_age_;
  mutable std::mutex mutex_;
  // Oldest first. Bounds set by a leaf's notAfter are not in this order: such a session may stay
  // behind newer ones until it is looked up (and refused) or evicted.
  std::list<Entry> by_age_;
  std::unordered_map<Id, std::list<Entry>::iterator, IdHash> by_id_;
};

}  // namespace mtls::certs
