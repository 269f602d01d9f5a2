#pragma once
// The upstream mTLS connections of one outbound protocol: http listener on one worker (its
// destination: `forward` and `server_name`), kept open between requests so an app that opens a
// connection per request does not pay a handshake per request (DESIGN.md §3 "HTTP mode").
//
// checkout() hands out an idle connection, newest first, after checking without blocking that the
// upstream has not closed it meanwhile (a FIN, a close_notify, a reset or unsolicited bytes such
// as a 408 mean it is discarded; TLS 1.3 tickets arriving late are consumed on the way); or
// connects a new one through the listener's UpstreamConnector and the same client TLS setup and
// checks as the outbound TCP session (proxy/upstream_tls.hpp), offering the ClientSessionCache's
// session so new connections resume. release() takes a connection back after a complete
// exchange. Idle connections are closed (with close_notify) past http.pool.idle_timeout, beyond
// max_idle_per_destination, on a trust change (they were verified under the old trust) and when
// the worker stops. A checkout that would exceed max_per_destination (idle + in use + connecting)
// is refused at once with `exhausted`, not queued: the caller answers 503, and the app's own
// retry policy applies.
//
// Connections checked out must be released or forgotten while the pool exists (a session does it
// when its exchange ends, not in its destructor, which may run after the worker's listeners).
// One pool per listener per worker: single-threaded, no locks. The pool registers with the
// worker's session list (SessionLink) for its tick, trust changes and stop. A pending connect
// outlives a destroyed pool safely (its handler sees the pool gone and drops the connection).

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "certs/client_session_cache.hpp"
#include "certs/peer_check.hpp"
#include "config/config.hpp"
#include "metrics/worker_counters.hpp"
#include "proxy/listener_spec.hpp"
#include "proxy/tls_stream.hpp"
#include "proxy/upstream_connector.hpp"
#include "proxy/worker.hpp"

namespace mtls::proxy::http {

// An established, verified upstream mTLS connection. Owns what its SSL points to (the contexts
// snapshot it was made from, the PeerCheck attached to it), so it can outlive the request that
// opened it.
class UpstreamConnection {
 public:
  using Clock = std::chrono::steady_clock;

  UpstreamConnection(net::io_context& io, std::shared_ptr<const certs::TlsContexts> contexts,
                     const ListenerSpec& spec);
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  TlsStream& stream() { return stream_; }
  const certs::PeerIdentity& peer() const { return check_.identity(); }
  const certs::PeerCheck& check() const { return check_; }
  // Exchanges this connection carried before the current one (0: new).
  std::uint64_t reuses() const { return uses_ == 0 ? 0 : uses_ - 1; }
  bool resumed() const { return SSL_session_reused(stream_.ssl()) == 1; }

 private:
  friend class UpstreamPool;
  std::shared_ptr<const certs::TlsContexts> contexts_;  // declared before stream_: outlives SSL
  certs::PeerCheck check_;
  TlsStream stream_;
  Clock::time_point idle_since_;
  std::uint64_t uses_ = 0;
};
using UpstreamConnectionPtr = std::unique_ptr<UpstreamConnection>;

class UpstreamPool final : public SessionLink {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Failure {
    none,
    connect,    // TCP connect failed (counted in mtls_upstream_connect_failures_total)
    handshake,  // TLS handshake or server identity refused (counted in mtls_handshakes_total)
    exhausted,  // max_per_destination reached
    stopped,    // the pool was stopped or destroyed
  };
  struct Result {
    UpstreamConnectionPtr connection;  // set when failure == none
    Failure failure = Failure::none;
    std::string reason;   // connect/handshake: the metric reason ("refused", "unknown_ca", ...)
    std::string detail;   // for the log line
    bool reused = false;  // an idle pooled connection, not a new one
  };
  using Handler = std::function<void(Result)>;

  // What the pool needs of its listener and worker; references must outlive the pool.
  struct Destination {
    net::io_context& io;
    const ListenerSpec& spec;
    UpstreamConnector& connector;
    certs::ClientSessionCache& sessions;
    metrics::ListenerCounters& counters;
    // The worker's current contexts (a new connection uses the latest).
    std::function<const std::shared_ptr<const certs::TlsContexts>&()> contexts;
    std::chrono::milliseconds connect_timeout;
    std::chrono::milliseconds handshake_timeout;
  };

  UpstreamPool(Destination destination, config::HttpPoolConfig settings);
  ~UpstreamPool() override;

  // Which connection a checkout may hand out. `new_only` replaces a connection the upstream
  // closed under a request: the other idle ones are about as old and may be closing too, and a
  // new connection that fails is a real failure, so the replacing ends there.
  enum class Take { idle_or_new, new_only };
  // `handler` runs later, never inside checkout() (also for an idle connection or a refusal),
  // so callers need not guard against re-entrance.
  void checkout(Handler handler, Take take = Take::idle_or_new);
  // After an exchange. `reusable`: the response was read completely, the upstream did not ask to
  // close, nothing is left half-sent. Otherwise (or beyond max_idle) the connection is closed.
  void release(UpstreamConnectionPtr connection, bool reusable);
  // A checked-out connection that will not come back (a failed exchange): only the count drops.
  void forget(UpstreamConnectionPtr connection);

  std::size_t idle() const { return idle_.size(); }
  std::size_t in_use() const { return in_use_; }
  std::size_t connecting() const { return connecting_; }

  // SessionLink: the worker's tick (idle timeout), stop, trust change.
  void on_tick(Clock::time_point now) override;
  void abort(const char* reason) override;
  void on_trust_changed(const certs::TlsContexts& contexts) override;

 private:
  struct Connecting;
  void connect(Handler handler);
  void step_handshake(const std::shared_ptr<Connecting>& c);
  void connected(const std::shared_ptr<Connecting>& c, Result result);
  bool still_open(UpstreamConnection& connection);
  void close_idle();
  void cancel_connects();  // their handlers then run with an error and end them
  void set_gauges();

  Destination to_;
  config::HttpPoolConfig settings_;
  std::vector<UpstreamConnectionPtr> idle_;  // oldest first; checkout takes the newest
  std::vector<std::weak_ptr<Connecting>> pending_;
  std::size_t in_use_ = 0;
  std::size_t connecting_ = 0;
  std::int64_t idle_gauge_ = 0;  // what this pool added to the shared worker gauges
  std::int64_t active_gauge_ = 0;
  bool stopped_ = false;
  std::shared_ptr<UpstreamPool*> self_;  // pending connects hold a weak_ptr: the pool may be gone
};

}  // namespace mtls::proxy::http
