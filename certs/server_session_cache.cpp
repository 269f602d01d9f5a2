#include "certs/server_session_cache.hpp"

#include <algorithm>
#include <cstring>

#include "certs/resumption.hpp"

namespace mtls::certs {
namespace {

int cache_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

std::size_t ServerSessionCache::IdHash::operator()(const Id& id) const noexcept {
  std::size_t h = 0;
  std::memcpy(&h, id.bytes.data(), sizeof h);
  return h ^ id.length;
}

ServerSessionCache::~ServerSessionCache() {
  for (Entry& e : by_age_) SSL_SESSION_free(e.session);
}

void ServerSessionCache::install(SSL_CTX* ctx) {
  SSL_CTX_set_ex_data(ctx, cache_index(), this);
  // TLS 1.3: NO_TICKET makes OpenSSL issue session-ID tickets backed by the cache (RFC 8446 §4.6.1
  // allows either); TLS 1.2: plain session-ID resumption.
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(max_age_).count();
  SSL_CTX_set_timeout(ctx, long(std::max<decltype(seconds)>(seconds, 1)));
  SSL_CTX_sess_set_new_cb(ctx, &ServerSessionCache::on_new);
  SSL_CTX_sess_set_get_cb(ctx, &ServerSessionCache::on_get);
  SSL_CTX_sess_set_remove_cb(ctx, &ServerSessionCache::on_remove);
}

void ServerSessionCache::clear() {
  std::lock_guard lock(mutex_);
  while (!by_age_.empty()) erase(by_age_.begin());
}

std::size_t ServerSessionCache::size() const {
  std::lock_guard lock(mutex_);
  return by_id_.size();
}

ServerSessionCache::Id ServerSessionCache::id_of(const unsigned char* bytes, unsigned length) {
  Id id;
  id.length = std::min<unsigned>(length, unsigned(id.bytes.size()));
  std::memcpy(id.bytes.data(), bytes, id.length);
  return id;
}

void ServerSessionCache::erase(std::list<Entry>::iterator it) {
  by_id_.erase(it->id);
  SSL_SESSION_free(it->session);
  by_age_.erase(it);
}

void ServerSessionCache::evict(std::time_t now) {
  while (!by_age_.empty() && (by_age_.size() > capacity_ || by_age_.front().expires <= now))
    erase(by_age_.begin());
}

// OpenSSL hands us a reference: returning 1 keeps it (freed on erase), 0 gives it back.
// Nothing here may throw: the callbacks run inside a handshake on a worker thread.
int ServerSessionCache::on_new(SSL* ssl, SSL_SESSION* session) {
  auto* self =
      static_cast<ServerSessionCache*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), cache_index()));
  unsigned length = 0;
  const unsigned char* bytes = SSL_SESSION_get_id(session, &length);
  if (self == nullptr || length == 0 || self->capacity_ == 0) return 0;
  const auto wall = WallClock::now();
  const std::time_t now = WallClock::to_time_t(wall);
  const Id id = id_of(bytes, length);
  // A full handshake's session gets its bound here, before any other thread can see it; a ticket
  // renewed on a resumed handshake already carries the bound of the session it was copied from.
  stamp_resume_deadline(session, self->max_age_, wall);
  // Rounded up: eviction only frees memory, on_get refuses a session past its bound to the ms.
  const std::time_t bound =
      std::chrono::ceil<std::chrono::seconds>(resume_deadline(session).time_since_epoch()).count();
  try {
    std::lock_guard lock(self->mutex_);
    if (self->by_id_.contains(id)) return 0;  // 2^256 IDs: only a re-announced session
    self->by_age_.push_back({id, session, std::min(now + SSL_SESSION_get_timeout(session), bound)});
    self->by_id_.emplace(id, std::prev(self->by_age_.end()));
    self->evict(now);
    return 1;
  } catch (...) {  // bad_alloc: the session is simply not cached
    return 0;
  }
}

SSL_SESSION* ServerSessionCache::on_get(SSL* ssl, const unsigned char* bytes, int length,
                                        int* copy) {
  *copy = 0;  // we return a reference of our own: the private copy below
  auto* self =
      static_cast<ServerSessionCache*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), cache_index()));
  if (self == nullptr || length <= 0) return nullptr;
  const Id id = id_of(bytes, unsigned(length));
  SSL_SESSION* cached = nullptr;
  {
    std::lock_guard lock(self->mutex_);
    const auto it = self->by_id_.find(id);
    if (it == self->by_id_.end()) return nullptr;
    // Past its bound (leaf expired, or max_age since the full handshake): forget it, so the
    // client falls back to a full handshake, which verifies its certificate again.
    if (!may_resume(it->second->session, WallClock::now())) {
      self->erase(it->second);
      return nullptr;
    }
    cached = it->second->session;
    SSL_SESSION_up_ref(cached);  // another thread may evict it once the lock is released
  }
  // OpenSSL writes into the session it resumes, and other workers may be resuming the same one:
  // each handshake gets its own copy (ex_data, so the bound, included).
  SSL_SESSION* copy_of = SSL_SESSION_dup(cached);
  SSL_SESSION_free(cached);
  return copy_of;  // nullptr (out of memory): a full handshake. OpenSSL checks sid_ctx and expiry.
}

// A session OpenSSL wants gone: its connection failed or ended without close_notify. Only the
// cached object itself is removed (a connection of the full handshake that made it, or of the
// renewed ticket); a resumed connection holds a private copy, and its unclean end does not take
// the session away from the other connections resuming it.
void ServerSessionCache::on_remove(SSL_CTX* ctx, SSL_SESSION* session) {
  auto* self = static_cast<ServerSessionCache*>(SSL_CTX_get_ex_data(ctx, cache_index()));
  unsigned length = 0;
  const unsigned char* bytes = SSL_SESSION_get_id(session, &length);
  if (self == nullptr || length == 0) return;
  std::lock_guard lock(self->mutex_);
  const auto it = self->by_id_.find(id_of(bytes, length));
  if (it != self->by_id_.end() && it->second->session == session) self->erase(it->second);
}

}  // namespace mtls::certs
