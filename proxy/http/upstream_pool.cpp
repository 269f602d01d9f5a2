#include "proxy/http/upstream_pool.hpp"

#include <boost/asio/post.hpp>
#include <utility>

#include "certs/handshake_reason.hpp"
#include "proxy/listener.hpp"
#include "proxy/upstream_tls.hpp"

namespace mtls::proxy::http {
using metrics::HandshakeReason;

UpstreamConnection::UpstreamConnection(net::io_context& io,
                                       std::shared_ptr<const certs::TlsContexts> contexts,
                                       const ListenerSpec& spec)
    : contexts_(std::move(contexts)),
      check_(spec.policy),
      stream_(tcp::socket(io), make_client_ssl(*contexts_, spec)) {
  check_.attach(stream_.ssl());
}

// A new connection on its way: connect, then handshake, under one timer per phase.
struct UpstreamPool::Connecting {
  Connecting(net::io_context& io, Handler h) : timer(io), handler(std::move(h)) {}
  UpstreamConnectionPtr connection;
  net::steady_timer timer;
  Handler handler;
  Clock::time_point handshake_started;
  bool timed_out = false;
  bool done = false;
};

UpstreamPool::UpstreamPool(Destination destination, config::HttpPoolConfig settings)
    : to_(std::move(destination)),
      settings_(settings),
      self_(std::make_shared<UpstreamPool*>(this)) {}

UpstreamPool::~UpstreamPool() {
  stopped_ = true;
  close_idle();
  cancel_connects();
  // Connections still checked out or connecting leave the gauges when they end.
  to_.counters.pool_active.add(-active_gauge_);
}

void UpstreamPool::set_gauges() {
  const auto idle = static_cast<std::int64_t>(idle_.size());
  const auto active = static_cast<std::int64_t>(in_use_ + connecting_);
  to_.counters.pool_idle.add(idle - idle_gauge_);
  to_.counters.pool_active.add(active - active_gauge_);
  idle_gauge_ = idle;
  active_gauge_ = active;
}

// Without blocking: has the upstream ended or spoken on this idle connection? A TLS 1.3 ticket
// that arrived after the exchange is consumed here (and renews the session cache) and is fine.
bool UpstreamPool::still_open(UpstreamConnection& connection) {
  unsigned char byte = 0;
  const IoResult r = connection.stream().read_some(net::buffer(&byte, 1));
  // ok: unsolicited bytes (a 408 before a close); eof: FIN or close_notify; error: reset.
  // want_write is not expected on an idle client connection either.
  return r.status == IoStatus::want_read;
}

void UpstreamPool::checkout(Handler handler, Take take) {
  if (stopped_) {
    return net::post(to_.io, [h = std::move(handler)]() mutable {
      h(Result{.failure = Failure::stopped, .detail = "the worker is stopping"});
    });
  }
  while (take == Take::idle_or_new && !idle_.empty()) {
    UpstreamConnectionPtr c = std::move(idle_.back());
    idle_.pop_back();
    if (!still_open(*c)) {
      c->stream().close();
      continue;
    }
    ++c->uses_;
    ++in_use_;
    set_gauges();
    to_.counters.pool_reuse.add();
    return net::post(to_.io, [h = std::move(handler), c = std::move(c)]() mutable {
      h(Result{.connection = std::move(c), .reused = true});
    });
  }
  set_gauges();
  const std::size_t limit = settings_.max_per_destination;
  if (limit != 0 && in_use_ + connecting_ >= limit) {
    return net::post(to_.io, [h = std::move(handler), limit]() mutable {
      h(Result{.failure = Failure::exhausted,
               .reason = "pool_exhausted",
               .detail = std::to_string(limit) + " upstream connections in use (http.pool." +
                         "max_per_destination)"});
    });
  }
  connect(std::move(handler));
}

void UpstreamPool::connect(Handler handler) {
  auto c = std::make_shared<Connecting>(to_.io, std::move(handler));
  c->connection = std::make_unique<UpstreamConnection>(to_.io, to_.contexts(), to_.spec);
  to_.sessions.prepare(c->connection->stream().ssl(), c->connection->contexts_);
  ++connecting_;
  set_gauges();
  std::erase_if(pending_, [](const std::weak_ptr<Connecting>& p) { return p.expired(); });
  pending_.push_back(c);
  // Closing the socket at the deadline makes the pending connect or wait complete.
  c->timer.expires_after(to_.connect_timeout);
  c->timer.async_wait([c](error_code ec) {
    if (ec || c->done) return;
    c->timed_out = true;
    c->connection->stream().close();
  });
  std::weak_ptr<UpstreamPool*> pool = self_;
  to_.connector.async_connect(
      c->connection->stream().socket(), [c, pool](std::optional<metrics::ConnectFailure> failure) {
        const auto alive = pool.lock();
        if (!alive) return;
        UpstreamPool& self = **alive;
        if (failure || self.stopped_) {
          Result r{.failure = Failure::connect};
          const metrics::ConnectFailure reason =
              c->timed_out ? metrics::ConnectFailure::timeout
                           : failure.value_or(metrics::ConnectFailure::refused);
          if (self.stopped_) {
            r.failure = Failure::stopped;
          } else {
            self.to_.counters.connect_failures[metrics::index(reason)].add();
            r.reason = "upstream_" + std::string(metrics::name(reason));
          }
          r.detail = "cannot connect to " + self.to_.spec.forward.to_string();
          return self.connected(c, std::move(r));
        }
        TlsStream& stream = c->connection->stream();
        tune_socket(stream.socket().native_handle());
        stream.attach_socket();
        c->handshake_started = Clock::now();
        c->timer.cancel();
        c->timer.expires_after(self.to_.handshake_timeout);
        c->timer.async_wait([c](error_code ec) {
          if (ec || c->done) return;
          c->timed_out = true;
          c->connection->stream().close();
        });
        self.step_handshake(c);
      });
}

void UpstreamPool::step_handshake(const std::shared_ptr<Connecting>& c) {
  TlsStream& stream = c->connection->stream();
  const IoResult r = stream.handshake();
  if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
    std::weak_ptr<UpstreamPool*> pool = self_;
    return stream.async_wait(r.status, [c, pool](error_code ec) {
      const auto alive = pool.lock();
      if (!alive) return;
      UpstreamPool& self = **alive;
      if (ec || self.stopped_) {
        Result failed{.failure = self.stopped_ ? Failure::stopped : Failure::handshake};
        if (c->timed_out) {
          self.to_.counters.handshake(HandshakeReason::timeout);
          failed.reason = "timeout";
          failed.detail = "handshake timed out";
        } else {
          failed.reason = "other";
          failed.detail = ec.message();
        }
        return self.connected(c, std::move(failed));
      }
      self.step_handshake(c);
    });
  }
  UpstreamConnection& connection = *c->connection;
  certs::HandshakeFailure failure;
  if (r.status == IoStatus::ok) {
    failure =
        check_established(stream.ssl(), connection.check_, *connection.contexts_, to_.contexts());
  } else {
    failure =
        certs::classify_handshake_failure(stream.ssl(), stream.openssl_error(), connection.check_,
                                          stream.transport_closed() || r.status == IoStatus::eof);
  }
  if (failure.reason != HandshakeReason::ok) {
    to_.counters.handshake(failure.reason);
    return connected(c, Result{.failure = Failure::handshake,
                               .reason = std::string(metrics::name(failure.reason)),
                               .detail = failure.detail});
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - c->handshake_started).count();
  count_established(to_.counters, stream.ssl(), connection.peer().display(), seconds);
  connection.uses_ = 1;
  connected(c, Result{.connection = std::move(c->connection)});
}

// The end of a connect, either way: the caller gets the result now (we are in a handler already).
void UpstreamPool::connected(const std::shared_ptr<Connecting>& c, Result result) {
  c->done = true;
  c->timer.cancel();
  --connecting_;
  if (result.connection) {
    ++in_use_;
  } else if (c->connection) {
    c->connection->stream().close();
  }
  set_gauges();
  c->handler(std::move(result));
}

void UpstreamPool::release(UpstreamConnectionPtr connection, bool reusable) {
  if (!connection) return;
  --in_use_;
  if (reusable && !stopped_ && idle_.size() < settings_.max_idle_per_destination &&
      connection->contexts_->trust_digest == to_.contexts()->trust_digest) {
    connection->idle_since_ = Clock::now();
    idle_.push_back(std::move(connection));
  } else {
    connection->stream().close();
  }
  set_gauges();
}

void UpstreamPool::forget(UpstreamConnectionPtr connection) {
  release(std::move(connection), false);
}

void UpstreamPool::on_tick(Clock::time_point now) {
  // Oldest first: the idle list is ordered by release time.
  std::size_t expired = 0;
  while (expired < idle_.size() && now - idle_[expired]->idle_since_ >= settings_.idle_timeout)
    idle_[expired++]->stream().close();
  if (expired == 0) return;
  idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(expired));
  set_gauges();
}

void UpstreamPool::close_idle() {
  for (auto& c : idle_) c->stream().close();
  idle_.clear();
  set_gauges();
}

void UpstreamPool::cancel_connects() {
  for (auto& weak : pending_) {
    if (const auto c = weak.lock(); c && !c->done) {
      c->timer.cancel();
      if (c->connection) c->connection->stream().close();
    }
  }
  pending_.clear();
}

void UpstreamPool::abort(const char*) {
  stopped_ = true;
  close_idle();
  cancel_connects();
}

void UpstreamPool::on_trust_changed(const certs::TlsContexts&) {
  // Verified under the old trust; new connections verify under the new one. Cheaper to redo
  // than to re-verify each idle peer, and a trust change is rare.
  close_idle();
}

}  // namespace mtls::proxy::http
