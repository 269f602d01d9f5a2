#include "proxy/outbound_session.hpp"

#include "proxy/listener.hpp"

namespace mtls::proxy {
namespace {

certs::SslPtr make_client_ssl(const certs::TlsContexts& contexts, const ListenerSpec& spec) {
  certs::SslPtr ssl(SSL_new(contexts.client.get()));
  SSL_set_connect_state(ssl.get());
  if (!spec.server_name.empty()) SSL_set_tlsext_host_name(ssl.get(), spec.server_name.c_str());
  if (spec.verify_server_name) {
    // The server must be who we dialled, not merely someone `expect` admits: with any: true or
    // trust_domains, any workload of the domain could otherwise answer for this name. DNS SANs
    // only (no CN fallback), and a wildcard must be a whole left-most label.
    SSL_set_hostflags(ssl.get(),
                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    SSL_set1_host(ssl.get(), spec.server_name.c_str());
  }
  return ssl;
}

}  // namespace

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
  enter(Phase::connect);
  listener_.connector().async_connect(
      upstream_.socket(),
      [self = shared_from_this(), this](std::optional<metrics::ConnectFailure> failure) {
        if (failure) return fail_connect(*failure);
        on_connected();
      });
}

void OutboundSession::on_connected() {
  tune_socket(upstream_.socket().native_handle());
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
