#include "proxy/outbound_session.hpp"

#include "proxy/listener.hpp"
#include "proxy/upstream_tls.hpp"

namespace mtls::proxy {

OutboundSession::OutboundSession(Listener& listener, Worker& worker, tcp::socket socket)
    : Session(listener, worker),
      check_(listener.spec().policy),
      downstream_(std::move(socket)),
      upstream_(tcp::socket(worker.io()), make_client_ssl(*contexts_, listener.spec())),
      relay_(downstream_, upstream_, worker.buffers()) {
  check_.attach(upstream_.ssl());
  upstream_.fail_on_truncation();
  listener.client_sessions().prepare(upstream_.ssl(), contexts_);
}

void OutboundSession::start() {
  connect_upstream(upstream_.socket(), [this] { on_connected(); });
}

void OutboundSession::on_connected() {
  // The socket was opened by connect: bind the SSL to its descriptor now.
  upstream_.attach_socket();
  enter(Phase::handshake);
  do_handshake(upstream_, check_);
}

void OutboundSession::on_handshake_ok() { start_relay(relay_); }

void OutboundSession::close_streams() {
  downstream_.close();
  upstream_.close();
}

void OutboundSession::reset_streams() {
  downstream_.abort();
  upstream_.abort();
}

}  // namespace mtls::proxy
