#pragma once
// A data-path worker: one thread, one io_context, its own acceptor per listener (SO_REUSEPORT),
// its own buffer pool, TLS contexts pointer and session list (DESIGN.md §3). Other threads reach
// it only through the post_* methods, so nothing on the per-connection path takes a lock.

#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "certs/tls_contexts.hpp"
#include "config/config.hpp"
#include "metrics/metrics.hpp"
#include "proxy/buffer_pool.hpp"
#include "proxy/listener_spec.hpp"

namespace mtls::proxy {

class Listener;

// What the worker needs of a live session, so it can walk them (timeouts, stop) without owning
// them. Unlinks itself when the session is destroyed.
class SessionLink : public boost::intrusive::list_base_hook<
                        boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  virtual ~SessionLink() = default;
  virtual void on_tick(std::chrono::steady_clock::time_point now) = 0;
  virtual void abort(const char* reason) = 0;  // closes sockets; never destroys synchronously
  // The trust (anchors, CRLs) changed: re-verify the peer, close the session if now refused.
  virtual void on_trust_changed(const certs::TlsContexts& contexts) = 0;
};
using SessionList =
    boost::intrusive::list<SessionLink, boost::intrusive::constant_time_size<false>>;

class Worker {
 public:
  Worker(unsigned index, const config::Limits& limits, unsigned max_connections_share,
         metrics::Metrics& metrics, std::shared_ptr<const certs::TlsContexts> contexts);
  ~Worker();

  // Before start(): binds this worker's acceptor for `spec` (throws std::system_error).
  void add_listener(const ListenerSpec& spec);
  void start();
  // From any thread.
  void post_contexts(std::shared_ptr<const certs::TlsContexts> contexts);
  void post_close_listeners();  // drain: accept nothing new, live sessions go on
  void post_stop();             // close acceptors and every session; the thread then ends
  void join();

  // Worker-thread only.
  unsigned index() const { return index_; }
  net::io_context& io() { return io_; }
  BufferPool& buffers() { return buffers_; }
  const std::shared_ptr<const certs::TlsContexts>& contexts() const { return contexts_; }
  const config::Limits& limits() const { return limits_; }
  metrics::ListenerCounters& counters(std::size_t listener) {
    return metrics_.counters(index_, listener);
  }
  void track(SessionLink& session);
  bool stopping() const { return stopping_; }

 private:
  void schedule_tick();

  unsigned index_;
  config::Limits limits_;
  unsigned max_connections_share_;
  metrics::Metrics& metrics_;
  net::io_context io_{1};  // one thread: Asio may skip its internal locking
  net::executor_work_guard<net::io_context::executor_type> work_;
  net::steady_timer tick_;
  std::chrono::milliseconds tick_period_;
  std::shared_ptr<const certs::TlsContexts> contexts_;
  BufferPool buffers_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  SessionList sessions_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mtls::proxy
