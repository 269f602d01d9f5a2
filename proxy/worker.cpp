#include "proxy/worker.hpp"

#include <boost/asio/post.hpp>

#include "metrics/log.hpp"
#include "proxy/listener.hpp"

namespace mtls::proxy {
namespace {

// Deadlines are enforced by one coarse timer per worker over the sessions' stamps, cheaper than
// a timer per operation; its period bounds how late a timeout fires.
std::chrono::milliseconds tick_period_for(const config::Limits& l) {
  auto p = std::min({std::chrono::milliseconds(1000), l.handshake_timeout / 4,
                     l.connect_timeout / 4, l.idle_timeout / 4});
  if (l.max_connection_age > std::chrono::milliseconds::zero())
    p = std::min(p, l.max_connection_age / 4);
  return std::max(p, std::chrono::milliseconds(10));
}

}  // namespace

Worker::Worker(unsigned index, const config::Limits& limits, unsigned max_connections_share,
               metrics::Metrics& metrics, std::shared_ptr<const certs::TlsContexts> contexts)
    : index_(index),
      limits_(limits),
      max_connections_share_(max_connections_share),
      metrics_(metrics),
      work_(io_.get_executor()),
      tick_(io_),
      tick_period_(tick_period_for(limits)),
      contexts_(std::move(contexts)) {}

Worker::~Worker() {
  if (thread_.joinable()) {
    post_stop();
    thread_.join();
  }
}

void Worker::add_listener(const ListenerSpec& spec) {
  listeners_.push_back(std::make_unique<Listener>(*this, spec, max_connections_share_));
}

void Worker::start() {
  thread_ = std::thread([this] {
    for (auto& l : listeners_) l->start();
    schedule_tick();
    // A handler must not throw (STYLE.md); if one does anyway, log and keep serving the others.
    for (;;) {
      try {
        io_.run();
        break;
      } catch (const std::exception& e) {
        log::error("worker " + std::to_string(index_) + ": unexpected exception: " + e.what());
      }
    }
  });
}

void Worker::post_contexts(std::shared_ptr<const certs::TlsContexts> contexts) {
  net::post(io_, [this, c = std::move(contexts)]() mutable {
    const bool trust_changed = contexts_ && c && contexts_->trust_digest != c->trust_digest;
    contexts_ = std::move(c);
    if (!trust_changed) return;
    // Established connections were verified under the old trust: a peer revoked by the new CRL
    // must not keep its connection. on_trust_changed() only closes sockets; no session dies here.
    for (SessionLink& s : sessions_) s.on_trust_changed(*contexts_);
  });
}

void Worker::post_close_listeners() {
  net::post(io_, [this] {
    for (auto& l : listeners_) l->stop();
  });
}

void Worker::post_stop() {
  net::post(io_, [this] {
    if (stopping_) return;
    stopping_ = true;
    for (auto& l : listeners_) l->stop();
    tick_.cancel();
    // abort() only closes sockets; their handlers run later, so no session dies in this walk.
    for (SessionLink& s : sessions_) s.abort("shutdown");
    work_.reset();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::track(SessionLink& session) { sessions_.push_back(session); }

void Worker::schedule_tick() {
  tick_.expires_after(tick_period_);
  tick_.async_wait([this](error_code ec) {
    if (ec || stopping_) return;
    const auto now = std::chrono::steady_clock::now();
    // on_tick() only closes sockets; their handlers run later, so no session dies in this walk.
    for (SessionLink& s : sessions_) s.on_tick(now);
    schedule_tick();
  });
}

}  // namespace mtls::proxy
