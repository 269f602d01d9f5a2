#include "certs/server_session_cache.hpp"

#include <algorithm>
#include <cstring>

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
  auto* self = static_cast<ServerSessionCache*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), cache_index()));
  unsigned length = 0;
  const unsigned char* bytes = SSL_SESSION_get_id(session, &length);
  if (self == nullptr || length == 0 || self->capacity_ == 0) return 0;
  const std::time_t now = std::time(nullptr);
  const Id id = id_of(bytes, length);
  try {
    std::lock_guard lock(self->mutex_);
    if (self->by_id_.contains(id)) return 0;  // 2^256 IDs: only a re-announced session
    self->by_age_.push_back({id, session, now + SSL_SESSION_get_timeout(session)});
    self->by_id_.emplace(id, std::prev(self->by_age_.end()));
    self->evict(now);
    return 1;
  } catch (...) {  // bad_alloc: the session is simply not cached
    return 0;
  }
}

SSL_SESSION* ServerSessionCache::on_get(SSL* ssl, const unsigned char* bytes, int length,
                                        int* copy) {
  *copy = 0;  // the reference is taken under the lock: another thread may evict it right after
  auto* self = static_cast<ServerSessionCache*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), cache_index()));
  if (self == nullptr || length <= 0) return nullptr;
  const Id id = id_of(bytes, unsigned(length));
  std::lock_guard lock(self->mutex_);
  const auto it = self->by_id_.find(id);
  if (it == self->by_id_.end()) return nullptr;
  SSL_SESSION* session = it->second->session;
  SSL_SESSION_up_ref(session);
  return session;  // OpenSSL checks session_id_context and expiry itself
}

// A session OpenSSL wants gone: its connection failed or ended without close_notify.
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
