#include "proxy/inbound_session.hpp"

#include "proxy/listener.hpp"

namespace mtls::proxy {
namespace {

certs::SslPtr make_server_ssl(const certs::TlsContexts& contexts) {
  certs::SslPtr ssl(SSL_new(contexts.server.get()));
  SSL_set_accept_state(ssl.get());
  return ssl;
}

}  // namespace

InboundSession::InboundSession(Listener& listener, Worker& worker, tcp::socket socket)
    : Session(listener, worker),
      check_(listener.spec().policy),
      downstream_(std::move(socket), make_server_ssl(*contexts_)),
      upstream_(tcp::socket(worker.io())),
      relay_(downstream_, upstream_, worker.buffers()) {
  const std::string& sid = listener.session_context(contexts_);
  SSL_set_session_id_context(downstream_.ssl(), reinterpret_cast<const unsigned char*>(sid.data()),
                             unsigned(sid.size()));
  check_.attach(downstream_.ssl());
}

void InboundSession::start() {
  enter(Phase::handshake);
  do_handshake(downstream_, check_);
}

void InboundSession::on_handshake_ok() {
  enter(Phase::connect);
  listener_.connector().async_connect(
      upstream_.socket(),
      [self = shared_from_this(), this](std::optional<metrics::ConnectFailure> failure) {
        if (failure) return fail_connect(*failure);
        on_connected();
      });
}

void InboundSession::on_connected() {
  tune_socket(upstream_.socket().native_handle());
  error_code ignored;
  upstream_.socket().non_blocking(true, ignored);
  start_relay(relay_);
}

void InboundSession::close_streams() {
  downstream_.close();
  upstream_.close();
}

void InboundSession::reset_streams() {
  downstream_.abort();
  upstream_.abort();
}

}  // namespace mtls::proxy
