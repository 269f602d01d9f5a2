#include "proxy/http/outbound_http_session.hpp"

#include "proxy/listener.hpp"

namespace mtls::proxy::http {

OutboundHttpSession::OutboundHttpSession(Listener& listener, Worker& worker, tcp::socket socket)
    : HttpSession(listener, worker), pool_(listener.pool()), downstream_(std::move(socket)) {}

void OutboundHttpSession::start() { acquire_upstream(); }

void OutboundHttpSession::acquire_upstream(UpstreamPool::Take take) {
  enter(Phase::connect);
  pool_.checkout([self = shared_from_this(),
                  this](UpstreamPool::Result result) { on_checkout(std::move(result)); },
                 take);
}

void OutboundHttpSession::on_checkout(UpstreamPool::Result result) {
  if (closed_) {
    // A deadline or stop closed the session meanwhile; an unused connection is still good.
    if (result.connection) pool_.release(std::move(result.connection), true);
    return finish("error", timed_out_ ? "timeout" : "aborted", "while waiting for an upstream");
  }
  if (result.failure == UpstreamPool::Failure::stopped) {
    reset_streams();
    return finish("error", "aborted", result.detail);
  }
  if (result.failure != UpstreamPool::Failure::none) {
    // The pool counted connect and handshake failures. The app speaks HTTP, so it gets an HTTP
    // answer, as Envoy gives one ("upstream connect error"): 503 to the request, then a close.
    const std::string why =
        result.failure == UpstreamPool::Failure::exhausted ? "pool_exhausted" : result.reason;
    unavailable_ = why + ": " + result.detail;
    if (exchange_)
      return exchange_->answer_instead(503, metrics::HttpError::upstream_unavailable, unavailable_);
    exchange_.emplace(downstream_, nullptr, *this, listener_.spec().http);
    enter(Phase::relay);
    return exchange_->start(shared_from_this());
  }
  upstream_ = std::move(result.connection);
  reused_ = result.reused;
  // Checked out, the connection is this session's: a trust reload re-verifies its peer here (the
  // pool re-verifies only what it holds idle).
  watch_verified_peer(upstream_->stream().ssl(), &upstream_->check());
  peer_ = upstream_->peer().display();
  tls_version_ = SSL_get_version(upstream_->stream().ssl());
  cipher_ = SSL_get_cipher_name(upstream_->stream().ssl());
  if (!exchange_) {
    exchange_.emplace(downstream_, &upstream_->stream(), *this, listener_.spec().http);
    enter(Phase::relay);
    exchange_->start(shared_from_this());
  } else {
    enter(Phase::relay);
    exchange_->resume_on(upstream_->stream());
  }
}

// The app is local and trusted with its own headers; the peer's inbound sets the identity ones.
// Without an upstream connection every request is answered 503.
Refusal OutboundHttpSession::on_request(Head&) {
  if (!upstream_) {
    return {.status = 503, .reason = metrics::HttpError::upstream_unavailable, .close = true};
  }
  return {};
}

void OutboundHttpSession::on_tunnel() {
  relay_.emplace(downstream_, upstream_->stream(), worker_.buffers());
  start_relay(*relay_);
}

bool OutboundHttpSession::on_upstream_lost() {
  // Only a reused connection may have been closed by the upstream while idle; a new one that
  // fails is a real failure, and a second loss is too.
  if (!reused_ || resent_ || closed_) return false;
  resent_ = true;
  return_upstream(false);
  acquire_upstream(UpstreamPool::Take::new_only);
  return true;
}

void OutboundHttpSession::on_http_end(std::string_view result, std::string_view reason,
                                      std::string_view detail) {
  // Before the session ends and closes streams: a clean upstream goes back to the pool, whatever
  // ended the downstream (the app's Connection: close, its FIN between requests).
  if (upstream_ && exchange_) return_upstream(exchange_->upstream_reusable());
  // Why there was no upstream (connect failure, pool full) goes into the connection's log line.
  const bool unavailable = reason == metrics::name(metrics::HttpError::upstream_unavailable);
  HttpSession::on_http_end(result, reason,
                           unavailable && detail.empty() ? unavailable_ : std::string(detail));
}

void OutboundHttpSession::return_upstream(bool reusable) {
  if (!upstream_) return;
  // The engine's wait for an upstream close between requests must not fire for the next user.
  error_code ignored;
  upstream_->stream().socket().cancel(ignored);
  watch_verified_peer(nullptr, nullptr);
  pool_.release(std::move(upstream_), reusable);
}

void OutboundHttpSession::close_streams() {
  closed_ = true;
  downstream_.close();
  return_upstream(false);  // closes it
}

void OutboundHttpSession::reset_streams() {
  downstream_.abort();
  if (upstream_) upstream_->stream().abort();
  return_upstream(false);
}

tcp::socket& OutboundHttpSession::tls_peer_socket() {
  return upstream_ ? upstream_->stream().socket() : downstream_.socket();
}

}  // namespace mtls::proxy::http
