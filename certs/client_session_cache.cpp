#include "certs/client_session_cache.hpp"

#include "certs/peer_check.hpp"
#include "certs/resumption.hpp"

namespace mtls::certs {
namespace {

int cache_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

void ClientSessionCache::prepare(SSL* ssl, const std::shared_ptr<const TlsContexts>& contexts) {
  if (contexts != contexts_) {
    // A new identity keeps the session; new trust or CRLs do not: a resumed handshake would skip
    // verifying the server against them.
    if (!contexts_ || contexts_->trust_digest != contexts->trust_digest) session_.reset();
    contexts_ = contexts;
  }
  SSL_set_ex_data(ssl, cache_index(), this);
  // Past its bound (server leaf expired, or max_age since the full handshake) a session is
  // dropped: the next handshake is full and verifies the server again.
  if (session_ && !may_resume(session_.get(), WallClock::now())) session_.reset();
  // Each handshake gets a private copy: OpenSSL's client writes into the session it offers, and
  // the worker starts several handshakes (a burst of app connections) before the first new
  // ticket arrives; sharing one SSL_SESSION among them let some fall back to full handshakes.
  if (session_ && SSL_SESSION_is_resumable(session_.get())) {
    const SslSessionPtr copy(SSL_SESSION_dup(session_.get()));
    if (copy) SSL_set_session(ssl, copy.get());  // takes its own reference
  }
}

int ClientSessionCache::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<ClientSessionCache*>(SSL_get_ex_data(ssl, cache_index()));
  if (!self || !self->contexts_ || SSL_get_SSL_CTX(ssl) != self->contexts_->client.get()) return 0;
  // A ticket of a full handshake gets its bound; one renewed on a resumed handshake was copied
  // from the resumed session by OpenSSL and keeps that session's bound.
  const PeerCheck* check = PeerCheck::of(ssl);
  stamp_resume_deadline(session, self->contexts_->session_max_age, WallClock::now(),
                        check ? check->staple_next_update() : 0);
  self->session_.reset(session);
  return 1;  // we own the reference now
}

}  // namespace mtls::certs
