#include "proxy/inbound_session.hpp"

#include "proxy/listener.hpp"
#include "proxy/ssl_setup.hpp"

namespace mtls::proxy {

InboundSession::InboundSession(Listener& listener, Worker& worker, tcp::socket socket)
    : Session(listener, worker),
      check_(listener.spec().policy),
      downstream_(std::move(socket), make_server_ssl(contexts_, listener)),
      upstream_(tcp::socket(worker.io())),
      relay_(downstream_, upstream_, worker.buffers()) {
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

}  // namespace mtls::proxy
