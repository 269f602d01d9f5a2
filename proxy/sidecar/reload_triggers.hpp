#pragma once
// Everything that makes the sidecar reload its certificates besides SIGHUP and Sidecar::reload()
// (DESIGN.md §4), on the sidecar's loader thread (its own, since a read may block: a hung mount,
// a FIFO at a watched path), never on the control thread that answers probes:
//  - inotify events in the directories of the source's files (certs::FileWatcher), debounced
//    by kDebounce because writers replace the certificate and the key one after the other;
//  - a periodic check every identity.file.poll_interval: reloads when the files' content changed
//    (inotify unavailable, events lost) or when the last file reload failed, and repeats expiry
//    and stale-CRL warnings;
//  - local_ca renewal at renew_at of the leaf's ttl, ±10 % jitter; a failed local_ca reload is
//    retried with exponential backoff (1 s .. 5 min) while the old leaf keeps serving;
//  - with trust.acm_pca_arn, a reload every acm_pca_refresh_interval, which fetches the Private
//    CA's certificate again (a failure counts and keeps the old trust; the periodic check
//    retries it).
//  - acm: every acm.refresh_interval the source asks ACM whether the certificate was renewed
//    (DescribeCertificate) and reloads when it was; a failed check or load is counted and
//    retried after 1 s .. 5 min with jitter (half to all of the step), the old identity serving,
//    and a source that retries its first load starts with that load here (reload_soon).
//  - identity.file.ocsp_fetch: a reload (which fetches the staple again) at half the remaining
//    validity of the staple being served.
// Every reload, SIGHUP's and the API's too, goes through reload_now(): it records the content
// fingerprint it loaded, so an event for a change already loaded does not reload twice, and it
// logs the outcome and the warnings of what was loaded.
//
// Thread-safety: construct and call reload_now() before the loader thread runs, or on it;
// every handler runs on it; stop() must run on it (post it).

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "certs/file_watcher.hpp"
#include "certs/renewal.hpp"
#include "certs/tls_context_store.hpp"
#include "config/config.hpp"
#include "proxy/net.hpp"

namespace mtls::proxy {

struct ReloadActions {
  std::function<certs::ReloadResult()> reload;  // load, validate, publish, count; never throws
  std::function<std::shared_ptr<const certs::TlsContexts>()> current;
  // local_ca: the wall-clock time the next renewal (or retry) is due, each time it is scheduled.
  std::function<void(std::time_t)> renewal_scheduled;
  // Remote sources: did the identity change since the last load? Throws the service's error.
  std::function<bool()> remote_changed;
  // Counts and logs a failed remote check like a failed reload (nothing was loaded).
  std::function<void(const certs::ReloadResult&)> record_failure;
};

class ReloadTriggers {
 public:
  static constexpr std::chrono::milliseconds kDebounce{100};
  // Expiry and stale-CRL warnings repeat at most this often between reloads.
  static constexpr std::chrono::minutes kWarningInterval{10};

  ReloadTriggers(net::io_context& loader, const config::Config& config,
                 std::vector<std::string> files, ReloadActions actions);
  ~ReloadTriggers();
  ReloadTriggers(const ReloadTriggers&) = delete;
  ReloadTriggers& operator=(const ReloadTriggers&) = delete;

  void start();  // arms the watcher and the periodic check
  void stop();
  certs::ReloadResult reload_now(std::string_view why);
  // The first load of a remote source, on the loader thread once it runs; retried on failure.
  void reload_soon(std::string why);

 private:
  struct Renewal {
    std::chrono::milliseconds ttl;
    double renew_at;
  };

  void do_wait_events();
  void schedule_debounce();
  void on_debounce();
  void schedule_poll();
  void on_poll();
  void schedule_renewal(bool reloaded);
  void schedule_trust_refresh();
  void schedule_remote(bool ok);  // next remote check, or a retry after a failure
  void on_remote();
  void schedule_staple_refresh();  // identity.file.ocsp_fetch: at half the staple's validity
  void log_loaded(std::string_view why);
  void log_periodic_warnings();

  ReloadActions actions_;
  config::Duration poll_interval_;
  config::Duration trust_refresh_interval_{0};      // 0: no remote trust to refresh
  std::optional<Renewal> renewal_;                  // local_ca only
  std::optional<config::Duration> remote_refresh_;  // acm only: acm.refresh_interval
  certs::FileWatcher watcher_;
  net::posix::stream_descriptor events_;  // borrows watcher_.fd(); released, never closed
  std::string watch_error_;               // why events_ is not open
  net::steady_timer debounce_, poll_, renew_, trust_refresh_, remote_, staple_refresh_;
  bool debounce_pending_ = false;
  bool stopped_ = false;
  bool last_ok_ = false;
  std::string loaded_fingerprint_;
  certs::Backoff backoff_;
  std::mt19937 random_;
  std::chrono::steady_clock::time_point last_warning_{};
};

}  // namespace mtls::proxy
