#include "proxy/http/outbound_http_session.hpp"

#include "proxy/listener.hpp"
#include "proxy/ssl_setup.hpp"

namespace mtls::proxy::http {

OutboundHttpSession::OutboundHttpSession(Listener& listener, Worker& worker, tcp::socket socket)
    : HttpSession(listener, worker),
      check_(listener.spec().policy),
      downstream_(std::move(socket)),
      upstream_(tcp::socket(worker.io()), make_client_ssl(*contexts_, listener.spec())),
      exchange_(downstream_, upstream_, *this, listener.spec().http),
      relay_(downstream_, upstream_, worker.buffers()) {
  check_.attach(upstream_.ssl());
  listener.client_sessions().prepare(upstream_.ssl(), contexts_);
}

void OutboundHttpSession::start() { acquire_upstream(); }

void OutboundHttpSession::acquire_upstream() {
  enter(Phase::connect);
  listener_.connector().async_connect(
      upstream_.socket(),
      [self = shared_from_this(), this](std::optional<metrics::ConnectFailure> failure) {
        if (failure) return fail_connect(*failure);
        on_connected();
      });
}

void OutboundHttpSession::on_connected() {
  tune_socket(upstream_.socket().native_handle());
  upstream_.attach_socket();
  enter(Phase::handshake);
  do_handshake(upstream_, check_);
}

void OutboundHttpSession::on_handshake_ok() { exchange_.start(shared_from_this()); }

// The app is local and trusted with its own headers; the peer's inbound sets the identity ones.
Refusal OutboundHttpSession::on_request(Head&) { return {}; }

void OutboundHttpSession::on_tunnel() { start_relay(relay_); }

void OutboundHttpSession::close_streams() {
  downstream_.close();
  upstream_.close();
}

void OutboundHttpSession::reset_streams() {
  downstream_.abort();
  upstream_.abort();
}

}  // namespace mtls::proxy::http
