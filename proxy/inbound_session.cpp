#include "proxy/inbound_session.hpp"

#include <boost/asio/write.hpp>

#include "proxy/listener.hpp"
#include "proxy/proxy_header.hpp"
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
  connect_upstream(upstream_.socket(), [this] { on_connected(); });
}

void InboundSession::on_connected() {
  if (listener_.spec().proxy_protocol != config::ProxyProtocol::v2) return start_relay(relay_);
  // The header goes first, whole, before any of the client's bytes: the relay starts after it.
  error_code ec;
  const tcp::endpoint client = downstream_.socket().remote_endpoint(ec);
  const tcp::endpoint local = ec ? tcp::endpoint() : downstream_.socket().local_endpoint(ec);
  if (ec) return finish("error", "reset", "client gone before the PROXY header: " + ec.message());
  proxy_header_ =
      proxy_v2_header(client, local, proxy_tls_facts(downstream_.ssl(), check_.identity()));
  net::async_write(upstream_.socket(), net::buffer(proxy_header_),
                   [self = shared_from_this(), this](error_code write_error, std::size_t) {
                     if (write_error && timed_out_) {
                       return fail_connect(metrics::ConnectFailure::timeout);
                     }
                     if (write_error) {
                       return finish("error", "reset",
                                     "sending the PROXY header: " + write_error.message());
                     }
                     start_relay(relay_);
                   });
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
