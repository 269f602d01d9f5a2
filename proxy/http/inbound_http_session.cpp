#include "proxy/http/inbound_http_session.hpp"

#include "proxy/http/authorize.hpp"
#include "proxy/listener.hpp"
#include "proxy/ssl_setup.hpp"

namespace mtls::proxy::http {

InboundHttpSession::InboundHttpSession(Listener& listener, Worker& worker, tcp::socket socket)
    : HttpSession(listener, worker),
      check_(listener.spec().policy),
      downstream_(std::move(socket), make_server_ssl(contexts_, listener)),
      upstream_(tcp::socket(worker.io())),
      exchange_(downstream_, &upstream_, *this, listener.spec().http),
      relay_(downstream_, upstream_, worker.buffers()) {
  check_.attach(downstream_.ssl());
}

void InboundHttpSession::start() {
  enter(Phase::handshake);
  do_handshake(downstream_, check_);
}

void InboundHttpSession::on_handshake_ok() {
  facts_ = peer_facts(downstream_.ssl(), check_.identity());
  connect_upstream(upstream_.socket(), [this] { on_connected(); });
}

void InboundHttpSession::on_connected() { exchange_.start(shared_from_this()); }

Refusal InboundHttpSession::on_request(Head& head) {
  const Authorization a =
      authorize_request(listener_.spec(), {check_.identity(), head.method, head.target});
  if (a.bad_path) return {400, metrics::HttpError::bad_path, a.rule};
  if (!a.allowed) return {403, metrics::HttpError::route_denied, a.rule};
  apply_identity(head, facts_, http_config().identity_headers);
  return {0, metrics::HttpError::route_denied, a.rule};
}

void InboundHttpSession::on_tunnel() { start_relay(relay_); }

void InboundHttpSession::close_streams() {
  downstream_.close();
  upstream_.close();
}

void InboundHttpSession::reset_streams() {
  downstream_.abort();
  upstream_.abort();
}

}  // namespace mtls::proxy::http
