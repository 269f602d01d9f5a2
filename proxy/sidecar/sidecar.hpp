#pragma once
// One running mtls-sidecar: workers (data path), a control thread (signals, admin server, drain),
// a loader thread (certificate reloads: file reads, hashing, key work, which may block on a hung
// mount or a FIFO, so /healthz, /ready, /metrics and signals never wait for them) and the wiring
// between them (DESIGN.md §1, §3). Used by `run`, by the
// in-process demo and by the integration tests, so all three exercise the same code.
//
// Thread-safety: start()/stop()/wait() from one owning thread; reload(), request_stop() and the
// accessors from any thread.

#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "certs/aws/environment.hpp"
#include "certs/certificate_source.hpp"
#include "certs/tls_context_store.hpp"
#include "config/config.hpp"
#include "metrics/admin_server.hpp"
#include "metrics/metrics.hpp"
#include "metrics/status_board.hpp"
#include "proxy/forward_resolver.hpp"
#include "proxy/listener_spec.hpp"
#include "proxy/sidecar/reload_triggers.hpp"
#include "proxy/worker.hpp"

namespace mtls::proxy {

struct SidecarOptions {
  bool handle_signals = false;  // SIGTERM/SIGINT stop, SIGHUP reloads (the `run` command)
  bool admin = true;            // tests may run many sidecars without admin ports
  // How `forward` host names are looked up (in the background, ForwardResolver); empty: the
  // system resolver. Tests give a slow or failing one.
  ForwardResolver::Lookup lookup;
  std::chrono::milliseconds dns_refresh = ForwardResolver::kRefresh;
  // The width of one bucket of GET /status's 15-minute history; tests make it short.
  std::chrono::milliseconds status_bucket{10000};
  // Where AWS settings (credentials, endpoints, AWS_CA_BUNDLE) are read for an acm identity, a
  // KMS-wrapped key or trust.acm_pca_arn; empty: the process environment. Tests give a map
  // (setenv is not thread-safe).
  certs::aws::Environment aws_environment;
};

class Sidecar {
 public:
  explicit Sidecar(config::Config config, SidecarOptions options = {});
  ~Sidecar();
  Sidecar(const Sidecar&) = delete;
  Sidecar& operator=(const Sidecar&) = delete;

  // Loads the identity, binds every listener and the admin port, starts the threads.
  // Throws std::exception with a one-line message on any failure: certs::LoadError (with the
  // config field naming the file) when the identity does not load, ListenError (with the field
  // of the address) when a port cannot be bound.
  void start();
  // The first identity load alone (no thread starts), for `run` to report a bad identity before
  // it sandboxes itself; start() does it when not done. Throws certs::LoadError.
  void load_identity();
  void wait();  // until stopped (signal or request_stop)
  // Graceful stop (SIGTERM, DESIGN.md §5): /ready turns 503 at once; listeners keep accepting for
  // drain_delay (load balancers need seconds to stop routing here), then close; live connections
  // get up to drain_timeout, then are closed and wait() returns. A second call stops at once.
  void request_drain();
  void request_stop();  // stop accepting, close connections, end wait()
  void stop();          // request_stop() + join every thread

  // Reload identity and trust now, on the loader thread; waits for and returns its result.
  certs::ReloadResult reload();

  std::uint16_t port(std::string_view listener) const;  // bound port (listen port 0 = ephemeral)
  std::uint16_t admin_port() const;
  metrics::Metrics& metrics() { return *metrics_; }
  const config::Config& config() const { return config_; }
  std::shared_ptr<const certs::TlsContexts> contexts() const;
  bool ready(std::string& why) const;

 private:
  void bind_listeners();
  void start_admin();
  void watch_signals();
  void wait_for_connections_to_end();      // control thread, during drain
  certs::ReloadResult reload_on_loader();  // what every ReloadTriggers reload runs
  // Records an outcome for /certs, /ready, the log and the metrics (loader thread).
  void note_result(const certs::ReloadResult& result, std::time_t attempt = 0);
  void record_reload(const certs::ReloadResult& result,
                     const std::shared_ptr<const certs::TlsContexts>& current);
  std::string describe_certs() const;
  // GET /status and its history's clock (sidecar_status.cpp), control thread.
  void start_status();
  void tick_status();
  std::string status_json() const;

  config::Config config_;
  SidecarOptions options_;
  unsigned worker_count_;
  std::unique_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<certs::CertificateSource> source_;
  std::unique_ptr<certs::TlsContextStore> store_;  // loader thread only, once started
  std::unique_ptr<ForwardResolver> resolver_;      // `forward` names, looked up in the background
  std::vector<ListenerSpec> specs_;
  std::vector<std::unique_ptr<Worker>> workers_;

  net::io_context control_{1};
  net::io_context loader_{1};  // reloads and their triggers; results are posted to control_
  std::unique_ptr<metrics::AdminServer> admin_;
  std::optional<net::signal_set> signals_;        // control thread only
  std::unique_ptr<metrics::StatusBoard> status_;  // control thread only, once started
  std::optional<net::steady_timer> status_timer_;
  std::chrono::steady_clock::time_point status_next_tick_;
  std::unique_ptr<net::executor_work_guard<net::io_context::executor_type>> control_work_;
  std::unique_ptr<net::executor_work_guard<net::io_context::executor_type>> loader_work_;
  std::unique_ptr<ReloadTriggers> triggers_;  // loader thread; after loader_: destroyed first
  std::thread control_thread_;
  std::thread loader_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> draining_{false};
  std::optional<net::steady_timer> drain_timer_;  // control thread only
  std::chrono::steady_clock::time_point drain_deadline_;
  std::atomic<bool> started_{false};
  bool threads_running_ = false;  // set before the threads start; read by the loader thread
  bool identity_loaded_ = false;  // load_identity() succeeded

  // Guards stopped_ for wait(); contexts_ and the last reload's outcome for readers off the
  // loader thread (/certs on the control thread).
  mutable std::mutex mutex_;
  std::condition_variable stopped_cv_;
  bool stopped_ = false;
  std::shared_ptr<const certs::TlsContexts> contexts_;
  certs::ReloadResult last_reload_;
  std::time_t last_reload_attempt_ = 0;
  std::time_t next_renewal_ = 0;  // local_ca: when ReloadTriggers renews next; 0 otherwise
};

}  // namespace mtls::proxy
