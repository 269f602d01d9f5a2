#include "proxy/sidecar/sidecar.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <future>

#include "certs/acm_source.hpp"
#include "certs/describe.hpp"
#include "certs/load_error.hpp"
#include "metrics/log.hpp"
#include "proxy/http/route_policy.hpp"
#include "proxy/sidecar/listen_error.hpp"
#include "proxy/sidecar/usable_cpus.hpp"

namespace mtls::proxy {
namespace {

std::vector<metrics::ListenerLabels> labels_of(const config::Config& c) {
  std::vector<metrics::ListenerLabels> out;
  const auto http = [](config::Protocol p) { return p == config::Protocol::http; };
  for (const auto& l : c.inbound)
    out.push_back({metrics::Direction::inbound, l.name, http(l.protocol)});
  for (const auto& l : c.outbound)
    out.push_back({metrics::Direction::outbound, l.name, http(l.protocol)});
  return out;
}

tcp::endpoint resolve_listen(const config::HostPort& hp) {
  error_code ec;
  const auto address = net::ip::make_address(hp.host, ec);
  if (!ec) return {address, hp.port};
  net::io_context io;
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(hp.host, std::to_string(hp.port), ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot resolve listen address " + hp.to_string());
  return *results.begin();
}

// Binds once without SO_REUSEPORT: a port held by anyone else (a stale sidecar, another test)
// fails here with EADDRINUSE instead of silently sharing traffic with it. Returns the bound
// endpoint, which resolves port 0 to a concrete port for every worker's acceptor.
// SO_REUSEADDR lets the bind through connections of an earlier run still in TIME-WAIT on the
// port (a restart right after serving would otherwise fail for up to 60 s, a crash loop in a
// pod); on Linux it never lets a bind through a socket that is listening.
tcp::endpoint probe_bind(const std::string& field, const std::string& name,
                         const tcp::endpoint& endpoint) {
  net::io_context io;
  tcp::acceptor probe(io);
  error_code ec;
  probe.open(endpoint.protocol(), ec);
  if (!ec) probe.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) probe.bind(endpoint, ec);
  if (ec) {
    throw ListenError(field, ec,
                      "listener " + name + " on " + endpoint.address().to_string() + ":" +
                          std::to_string(endpoint.port()));
  }
  return probe.local_endpoint();
}

double now_seconds() { return double(std::time(nullptr)); }

}  // namespace

Sidecar::Sidecar(config::Config config, SidecarOptions options)
    : config_(std::move(config)),
      options_(options),
      worker_count_(config_.workers ? config_.workers : usable_cpus()),
      metrics_(std::make_unique<metrics::Metrics>(labels_of(config_), worker_count_,
                                                  config_.metrics.max_peer_labels)) {
  source_ = certs::make_source(config_, options_.aws_environment);
  store_ = std::make_unique<certs::TlsContextStore>(
      config_.tls, [this](std::shared_ptr<const certs::TlsContexts> fresh) {
        for (auto& w : workers_) w->post_contexts(fresh);
        std::lock_guard lock(mutex_);
        contexts_ = std::move(fresh);
      });
}

Sidecar::~Sidecar() { stop(); }

void Sidecar::load_identity() {
  if (identity_loaded_) return;
  metrics_->init_reloads(source_->name());
  triggers_ = std::make_unique<ReloadTriggers>(
      loader_, config_, source_->watched_files(),
      ReloadActions{.reload = [this] { return reload_on_loader(); },
                    .current = [this] { return store_->current(); },
                    .renewal_scheduled =
                        [this](std::time_t at) {
                          std::lock_guard lock(mutex_);
                          next_renewal_ = at;
                        },
                    .remote_changed = [this] { return source_->remote_changed(); },
                    .record_failure = [this](const certs::ReloadResult& r) { note_result(r); }});
  // A remote source (acm) may be unreachable or not yet authorized at start-up: the process
  // comes up without an identity (/ready 503 with the error, connections refused) and keeps
  // trying on the loader thread (start() schedules it), as ghostunnel and Envoy SDS users
  // expect, instead of exiting into a crash loop. Files are on this host: a bad one is a
  // start-up error.
  if (!source_->retries_first_load()) {
    const certs::ReloadResult first = triggers_->reload_now("start-up");  // logs the identity
    // The field lets `run` report it at the config line naming the file, as check-config does.
    if (!first.ok) throw certs::LoadError(first.field, first.reason);
  }
  identity_loaded_ = true;
}

void Sidecar::start() {
  // OpenSSL writes to the socket with write(2), not send(MSG_NOSIGNAL): a peer gone mid-write must
  // be an error code on that connection, not SIGPIPE killing the process.
  ::signal(SIGPIPE, SIG_IGN);
  load_identity();
  const bool load_later = source_->retries_first_load();

  bind_listeners();
  if (options_.admin) start_admin();
  control_work_ = std::make_unique<net::executor_work_guard<net::io_context::executor_type>>(
      control_.get_executor());
  loader_work_ = std::make_unique<net::executor_work_guard<net::io_context::executor_type>>(
      loader_.get_executor());
  if (options_.handle_signals) watch_signals();
  triggers_->start();
  for (auto& w : workers_) w->start();
  threads_running_ = true;
  control_thread_ = std::thread([this] { control_.run(); });
  if (load_later) {
    log::info("identity from " + source_->name() +
              ": loading in the background; /ready answers "
              "503 until it is loaded");
    triggers_->reload_soon("start-up");
  }
  loader_thread_ = std::thread([this] { loader_.run(); });
  started_ = true;
}

void Sidecar::bind_listeners() {
  const unsigned limit = config_.limits.max_connections;
  // max_connections is per listener; SO_REUSEPORT spreads connections evenly, so each worker
  // enforces its share and no counter is shared between threads.
  const unsigned share = (limit + worker_count_ - 1) / worker_count_;
  resolver_ = std::make_unique<ForwardResolver>(
      options_.lookup ? options_.lookup : ForwardResolver::Lookup(ForwardResolver::system_lookup),
      options_.dns_refresh);
  std::size_t index = 0;
  for (std::size_t i = 0; i < config_.inbound.size(); ++i) {
    const auto& l = config_.inbound[i];
    const std::string field = "inbound[" + std::to_string(i) + "].listen";
    specs_.push_back({index++, metrics::Direction::inbound, l.name,
                      probe_bind(field, l.name, resolve_listen(l.listen)), l.forward, "", l.allow,
                      l.protocol, resolver_->watch(l.forward)});
    specs_.back().proxy_protocol = l.proxy_protocol;
    specs_.back().http = config_.http;
    if (!l.routes.empty())
      specs_.back().routes = std::make_shared<const http::RoutePolicy>(l.routes);
  }
  for (std::size_t i = 0; i < config_.outbound.size(); ++i) {
    const auto& l = config_.outbound[i];
    const std::string field = "outbound[" + std::to_string(i) + "].listen";
    specs_.push_back({index++, metrics::Direction::outbound, l.name,
                      probe_bind(field, l.name, resolve_listen(l.listen)), l.forward, l.server_name,
                      l.expect, l.protocol,
                      l.original_dst ? nullptr : resolver_->watch(l.forward)});
    specs_.back().verify_server_name = l.verify_server_name && !l.server_name.empty();
    specs_.back().http = config_.http;
    specs_.back().original_dst = l.original_dst;
    for (const config::OriginalDestination& d : l.destinations) {
      // Validation admits IP literals only: make_address cannot throw here.
      specs_.back().destinations.push_back(
          {tcp::endpoint(net::ip::make_address(d.match.host), d.match.port),
           {d.server_name, l.verify_server_name && !d.server_name.empty(), d.expect}});
    }
  }
  for (unsigned i = 0; i < worker_count_; ++i) {
    workers_.push_back(
        std::make_unique<Worker>(i, config_.limits, share, *metrics_, store_->current()));
    for (const auto& spec : specs_) workers_.back()->add_listener(spec);
  }
  for (const auto& spec : specs_) {
    log::info(std::string("listening ") + std::string(metrics::name(spec.direction)) + " " +
              spec.name + " on " + spec.bound.address().to_string() + ":" +
              std::to_string(spec.bound.port()) + " -> " +
              (spec.original_dst ? std::string("original_dst") : spec.forward.to_string()) + " (" +
              std::to_string(worker_count_) + " workers)");
  }
}

void Sidecar::start_admin() {
  metrics::AdminHandlers handlers;
  handlers.metrics = [this] { return metrics_->serialize(); };
  handlers.ready = [this](std::string& why) { return ready(why); };
  handlers.certs = [this] { return describe_certs(); };
  start_status();
  handlers.status = [this] { return status_json(); };
  try {
    admin_ = std::make_unique<metrics::AdminServer>(
        control_, config_.admin.listen.host, config_.admin.listen.port, std::move(handlers),
        metrics::AdminLimits{config_.admin.idle_timeout, config_.admin.max_connections});
    admin_->start();
  } catch (const std::system_error& e) {
    throw ListenError("admin.listen", e.code(), "admin on " + config_.admin.listen.to_string());
  }
  log::info("admin on " + config_.admin.listen.host + ":" + std::to_string(admin_->port()) +
            " (/ /status /metrics /healthz /ready /certs)");
}

void Sidecar::watch_signals() {
  if (!signals_) signals_.emplace(control_, SIGINT, SIGTERM, SIGHUP);
  signals_->async_wait([this](error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      log::info("SIGHUP: reloading certificates and trust");
      net::post(loader_, [this] { triggers_->reload_now("SIGHUP"); });
      return watch_signals();
    }
    log::info(std::string(signo == SIGTERM ? "SIGTERM" : "SIGINT") +
              (draining_ ? ": second stop signal, stopping now" : ": draining"));
    request_drain();
    watch_signals();
  });
}

// On the loader thread (or in start() before any thread runs). The store publishes new contexts
// to the workers itself; what the control thread shows (/certs, metrics) is posted to it.
certs::ReloadResult Sidecar::reload_on_loader() {
  const certs::ReloadResult r = store_->reload(*source_);
  note_result(r, store_->last_attempt());
  return r;
}

void Sidecar::note_result(const certs::ReloadResult& r, std::time_t attempt) {
  {
    std::lock_guard lock(mutex_);
    last_reload_ = r;
    last_reload_attempt_ = attempt ? attempt : std::time(nullptr);
  }
  if (!threads_running_) {
    record_reload(r, store_->current());  // start-up: no control thread yet
  } else {
    net::post(control_, [this, r, c = store_->current()] { record_reload(r, c); });
  }
}

void Sidecar::record_reload(const certs::ReloadResult& result,
                            const std::shared_ptr<const certs::TlsContexts>& c) {
  metrics_->certificate_reload(source_->name(), result.ok, now_seconds());
  if (!result.ok) {
    log::error(c ? "certificate reload failed, the previous identity keeps serving: " +
                       result.reason
                 : "certificate load failed: " + result.reason);
    return;
  }
  metrics_->set_certificate_expiry("identity", double(c->not_after));
  metrics_->set_certificate_expiry("trust", double(c->trust_not_after));
  metrics_->clear_crl_next_updates();
  for (const auto& crl : c->crls) {
    if (crl.next_update != 0) metrics_->set_crl_next_update(crl.issuer, double(crl.next_update));
  }
}

certs::ReloadResult Sidecar::reload() {
  std::promise<certs::ReloadResult> done;
  auto result = done.get_future();
  net::post(loader_, [this, &done] {
    const certs::ReloadResult r = triggers_->reload_now("reload requested");
    // Answered from the control thread, after the result was recorded there (metrics, log).
    net::post(control_, [&done, r] { done.set_value(r); });
  });
  return result.get();
}

void Sidecar::request_drain() {
  net::post(control_, [this] {
    if (draining_.exchange(true)) return request_stop();
    const auto& l = config_.limits;
    log::info("draining: /ready answers 503; listeners close in " +
              std::to_string(l.drain_delay.count()) + " ms, then connections get up to " +
              std::to_string(l.drain_timeout.count()) + " ms");
    drain_timer_.emplace(control_);
    drain_timer_->expires_after(l.drain_delay);
    drain_timer_->async_wait([this](error_code ec) {
      if (ec) return;
      for (auto& w : workers_) w->post_close_listeners();
      drain_deadline_ = std::chrono::steady_clock::now() + config_.limits.drain_timeout;
      wait_for_connections_to_end();
    });
  });
}

void Sidecar::wait_for_connections_to_end() {
  const std::int64_t live = metrics_->active_connections();
  if (live == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
    if (live > 0) log::warn("drain timeout: closing " + std::to_string(live) + " connections");
    return request_stop();
  }
  drain_timer_->expires_after(std::chrono::milliseconds(50));
  drain_timer_->async_wait([this](error_code ec) {
    if (!ec) wait_for_connections_to_end();
  });
}

void Sidecar::request_stop() {
  if (stopping_.exchange(true)) return;
  for (auto& w : workers_) w->post_stop();
  net::post(control_, [this] {
    if (admin_) admin_->stop();
    if (signals_) signals_->cancel();
    if (drain_timer_) drain_timer_->cancel();
    if (status_timer_) status_timer_->cancel();
    control_work_.reset();
    control_.stop();
  });
  // A reload under way finishes first; a read that hangs for good (a dead mount) holds stop()
  // in join() below, but no longer the probes, the drain or the signals before it.
  net::post(loader_, [this] {
    if (triggers_) triggers_->stop();
    loader_work_.reset();
    loader_.stop();
  });
  std::lock_guard lock(mutex_);
  stopped_ = true;
  stopped_cv_.notify_all();
}

void Sidecar::wait() {
  std::unique_lock lock(mutex_);
  stopped_cv_.wait(lock, [this] { return stopped_; });
}

void Sidecar::stop() {
  if (!started_) return;
  request_stop();
  for (auto& w : workers_) w->join();
  if (control_thread_.joinable()) control_thread_.join();
  if (loader_thread_.joinable()) loader_thread_.join();
  started_ = false;
}

std::uint16_t Sidecar::port(std::string_view listener) const {
  for (const auto& s : specs_)
    if (s.name == listener) return s.bound.port();
  throw std::invalid_argument("no listener named " + std::string(listener));
}

std::uint16_t Sidecar::admin_port() const { return admin_ ? admin_->port() : 0; }

std::shared_ptr<const certs::TlsContexts> Sidecar::contexts() const {
  std::lock_guard lock(mutex_);
  return contexts_;
}

bool Sidecar::ready(std::string& why) const {
  const auto c = contexts();
  if (!c) {
    std::lock_guard lock(mutex_);
    why = last_reload_.ok || last_reload_.reason.empty()
              ? "identity not loaded"
              : "identity not loaded: " + last_reload_.reason;
    return false;
  }
  if (draining_ || stopping_) return why = "draining", false;
  const std::time_t now = std::time(nullptr);
  if (now > c->not_after) return why = "identity certificate expired", false;
  // With crl_stale: refuse every peer of that CA is refused: not a state to route traffic to.
  if (!c->accept_stale_crl) {
    for (const certs::CrlInfo& crl : c->crls) {
      if (crl.next_update != 0 && crl.next_update <= now)
        return why = "crl_stale: the CRL of " + crl.issuer + " is past its nextUpdate", false;
    }
  }
  return true;
}

std::string Sidecar::describe_certs() const {
  const auto c = contexts();
  std::lock_guard lock(mutex_);
  return certs::describe_json(c.get(), last_reload_, last_reload_attempt_, next_renewal_);
}

}  // namespace mtls::proxy
