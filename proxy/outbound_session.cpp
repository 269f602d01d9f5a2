#include "proxy/outbound_session.hpp"

#include "proxy/listener.hpp"
#include "proxy/upstream_tls.hpp"

namespace mtls::proxy {
OutboundSession::Destination OutboundSession::destination_of(const ListenerSpec& spec,
                                                             tcp::socket& socket) {
  Destination d;
  if (!spec.original_dst) return d;
  d.to = original_destination(socket, d.why);
  if (d.to) d.rule = rule_for(spec.destinations, *d.to);
  return d;
}

OutboundSession::OutboundSession(Listener& listener, Worker& worker, tcp::socket socket)
    : Session(listener, worker),
      destination_(destination_of(listener.spec(), socket)),
      check_(destination_.rule ? destination_.rule->target.policy : listener.spec().policy),
      downstream_(std::move(socket)),
      upstream_(tcp::socket(worker.io()),
                destination_.rule
                    ? make_client_ssl(*contexts_, destination_.rule->target.server_name,
                                      destination_.rule->target.verify_server_name)
                    : make_client_ssl(*contexts_, listener.spec())),
      relay_(downstream_, upstream_, worker.buffers()) {
  check_.attach(upstream_.ssl());
  upstream_.fail_on_truncation();
  if (!listener.spec().original_dst) {
    listener.client_sessions().prepare(upstream_.ssl(), contexts_);
  } else if (destination_.rule) {
    listener.client_sessions(*destination_.rule).prepare(upstream_.ssl(), contexts_);
  }
}

void OutboundSession::start() {
  if (listener_.spec().original_dst && !destination_.to) {
    enter(Phase::connect);
    return fail_connect(metrics::ConnectFailure::original_dst, destination_.why);
  }
  connect_upstream(
      upstream_.socket(), [this] { on_connected(); }, destination_.to);
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
