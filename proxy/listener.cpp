#include "proxy/listener.hpp"

#include <netinet/tcp.h>
#include <sys/socket.h>

#include "metrics/log.hpp"
#include "proxy/http/inbound_http_session.hpp"
#include "proxy/http/outbound_http_session.hpp"
#include "proxy/http/upstream_pool.hpp"
#include "proxy/inbound_session.hpp"
#include "proxy/outbound_session.hpp"
#include "proxy/socket_state.hpp"

namespace mtls::proxy {

void tune_socket(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  // Dead peers are found in ~2 min instead of the kernel's 2 h default.
  const int idle = 60, interval = 10, count = 6;
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

Listener::Listener(Worker& worker, const ListenerSpec& spec, unsigned max_connections)
    : worker_(worker),
      spec_(spec),
      counters_(worker.counters(spec.index)),
      max_connections_(max_connections),
      acceptor_(worker.io()),
      backoff_(worker.io()),
      connector_(worker.io(), spec.forward, spec.forward_name, worker.limits().connect_timeout),
      destination_sessions_(spec.destinations.size()) {
  error_code ec;
  acceptor_.open(spec.bound.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) {
    const int one = 1;
    if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      ec = error_code(errno, boost::system::system_category());
  }
  if (!ec) acceptor_.bind(spec.bound, ec);
  if (!ec) tune_socket(acceptor_.native_handle());  // inherited by every accepted socket
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::system_error(ec, spec.name + " listen " + spec.bound.address().to_string() + ":" +
                                    std::to_string(spec.bound.port()));
  if (spec.protocol == config::Protocol::http && spec.direction == metrics::Direction::outbound) {
    pool_ = std::make_unique<http::UpstreamPool>(
        http::UpstreamPool::Destination{
            .io = worker.io(),
            .spec = spec_,
            .connector = connector_,
            .sessions = client_sessions_,
            .counters = counters_,
            .contexts = [&worker]() -> const std::shared_ptr<const certs::TlsContexts>& {
              return worker.contexts();
            },
            .connect_timeout = worker.limits().connect_timeout,
            .handshake_timeout = worker.limits().handshake_timeout},
        spec.http.pool);
    worker.track(*pool_);  // tick (idle timeout), trust changes, stop
  }
}

Listener::~Listener() = default;

void Listener::start() { do_accept(); }

void Listener::stop() {
  error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

void Listener::do_accept() {
  acceptor_.async_accept(
      [this](error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Listener::on_accept(error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    counters_.refused[metrics::index(metrics::RefusedReason::accept_error)].add();
    const bool out_of_resources = ec == net::error::no_descriptors || ec.value() == ENFILE ||
                                  ec == net::error::no_buffer_space || ec == net::error::no_memory;
    if (out_of_resources) {
      log::warn(spec_.name + ": accept: " + ec.message() + "; backing off 100ms");
      backoff_.expires_after(kAcceptBackoff);
      backoff_.async_wait([this](error_code e) {
        if (!e) do_accept();
      });
      return;
    }
    return do_accept();  // ECONNABORTED and friends: that one client gave up
  }
  // A remote identity source (acm) may still be fetching the first identity while the ports are
  // bound: close at once rather than leave the client in the backlog until its own timeout.
  if (!worker_.contexts()) {
    counters_.refused[metrics::index(metrics::RefusedReason::no_identity)].add();
    error_code ignored;
    socket.close(ignored);
    return do_accept();
  }
  if (active_ >= max_connections_) {
    counters_.refused[metrics::index(metrics::RefusedReason::max_connections)].add();
    error_code ignored;
    socket.close(ignored);
    return do_accept();
  }
  ++active_;
  // Nothing in the sidecar duplicates a connection's descriptor (no dup, no fork), so its close
  // alone takes it out of epoll: no epoll_ctl(DEL) per connection (proxy/socket_state.hpp).
  mark_sole_owner(socket);
  std::shared_ptr<Session> session;
  const bool inbound = spec_.direction == metrics::Direction::inbound;
  if (spec_.protocol == config::Protocol::http) {
    if (inbound) {
      session = std::make_shared<http::InboundHttpSession>(*this, worker_, std::move(socket));
    } else {
      session = std::make_shared<http::OutboundHttpSession>(*this, worker_, std::move(socket));
    }
  } else if (inbound) {
    session = std::make_shared<InboundSession>(*this, worker_, std::move(socket));
  } else {
    session = std::make_shared<OutboundSession>(*this, worker_, std::move(socket));
  }
  worker_.track(*session);
  session->start();
  do_accept();
}

const std::string& Listener::session_context(const std::shared_ptr<const certs::TlsContexts>& c) {
  if (c != sid_contexts_) {
    sid_ = certs::session_context_id(*c, spec_.name, spec_.policy);
    sid_contexts_ = c;
  }
  return sid_;
}

}  // namespace mtls::proxy
