#include "proxy/sidecar/reload_triggers.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "certs/crl_policy.hpp"
#include "certs/describe.hpp"
#include "certs/ocsp_staple.hpp"
#include "metrics/log.hpp"

namespace mtls::proxy {
namespace {

std::string seconds_text(std::chrono::milliseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", double(d.count()) / 1000.0);
  return text;
}

std::vector<std::string> lifecycle_warnings(const certs::TlsContexts& c, bool with_load_time) {
  const std::time_t now = std::time(nullptr);
  std::vector<std::string> out =
      with_load_time ? c.warnings : certs::crl_warnings(c.crls, now, c.accept_stale_crl);
  if (auto expiry = certs::expiry_warning(c.serial_hex, c.not_before, c.not_after, now))
    out.push_back(std::move(*expiry));
  return out;
}

}  // namespace

ReloadTriggers::ReloadTriggers(net::io_context& loader, const config::Config& config,
                               std::vector<std::string> files, ReloadActions actions)
    : actions_(std::move(actions)),
      poll_interval_(config.identity.file.poll_interval),
      watcher_(std::move(files)),
      events_(loader),
      debounce_(loader),
      poll_(loader),
      renew_(loader),
      trust_refresh_(loader),
      remote_(loader),
      staple_refresh_(loader),
      random_(std::random_device{}()) {
  if (!config.trust.acm_pca_arn.empty())
    trust_refresh_interval_ = config.trust.acm_pca_refresh_interval;
  if (config.identity.source == config::IdentitySource::local_ca) {
    renewal_ = Renewal{config.identity.local_ca.ttl, config.identity.local_ca.renew_at};
  }
  if (config.identity.source == config::IdentitySource::acm) {
    remote_refresh_ = config.identity.acm.refresh_interval;
  }
  error_code ec;
  if (watcher_.available()) events_.assign(watcher_.fd(), ec);
  if (ec) watch_error_ = "cannot wait on inotify: " + ec.message();
  if (!watcher_.available()) watch_error_ = watcher_.error();
}

ReloadTriggers::~ReloadTriggers() {
  if (events_.is_open()) events_.release();  // the watcher owns and closes the descriptor
}

void ReloadTriggers::start() {
  if (events_.is_open()) {
    do_wait_events();
  } else if (!watcher_.files().empty()) {
    log::warn("no file events (" + watch_error_ + "): certificate files are checked every " +
              seconds_text(poll_interval_));
  }
  schedule_poll();
  schedule_trust_refresh();
}

void ReloadTriggers::stop() {
  stopped_ = true;
  error_code ignored;
  if (events_.is_open()) events_.cancel(ignored);
  debounce_.cancel();
  poll_.cancel();
  renew_.cancel();
  trust_refresh_.cancel();
  remote_.cancel();
  staple_refresh_.cancel();
}

certs::ReloadResult ReloadTriggers::reload_now(std::string_view why) {
  // Fingerprint first: a write racing with the load then shows up as a change, never as "seen".
  const std::string before = watcher_.fingerprint();
  loaded_fingerprint_ = before;
  const certs::ReloadResult result = actions_.reload();
  last_ok_ = result.ok;
  if (result.ok) {
    log_loaded(why);
  } else if (watcher_.fingerprint() != before) {
    schedule_debounce();  // the files moved under the load (a second swap): look again
  }
  // A failed first load ends start-up (nothing serves, nothing is retried), so no renewal yet.
  if (result.ok || actions_.current()) schedule_renewal(result.ok);
  schedule_remote(result.ok);
  schedule_staple_refresh();
  return result;
}

void ReloadTriggers::schedule_staple_refresh() {
  const std::shared_ptr<const certs::TlsContexts> current = actions_.current();
  if (stopped_ || !current || !current->ocsp_fetched) return;
  // After a failed fetch the serving staple's remaining validity halves again: retries come
  // closer together as its nextUpdate nears (at least 5 s apart).
  staple_refresh_.expires_after(
      certs::staple_refresh_delay(current->ocsp_status, std::time(nullptr)));
  staple_refresh_.async_wait([this](error_code ec) {
    if (!ec && !stopped_) reload_now("OCSP staple refresh");
  });
}

void ReloadTriggers::reload_soon(std::string why) {
  net::post(remote_.get_executor(), [this, why = std::move(why)] {
    if (!stopped_) reload_now(why);
  });
}

void ReloadTriggers::do_wait_events() {
  events_.async_wait(net::posix::stream_descriptor::wait_read, [this](error_code ec) {
    if (ec || stopped_) return;
    if (watcher_.drain_events()) schedule_debounce();
    do_wait_events();
  });
}

void ReloadTriggers::schedule_debounce() {
  if (debounce_pending_ || stopped_) return;
  debounce_pending_ = true;
  debounce_.expires_after(kDebounce);
  debounce_.async_wait([this](error_code ec) {
    debounce_pending_ = false;
    if (!ec && !stopped_) on_debounce();
  });
}

void ReloadTriggers::on_debounce() {
  watcher_.rewatch();  // a swapped symlink may now lead through another directory
  if (watcher_.fingerprint() == loaded_fingerprint_) {
    log::debug("certificate files touched but unchanged: no reload");
    return;
  }
  reload_now("files changed");
}

void ReloadTriggers::schedule_poll() {
  if (stopped_ || poll_interval_.count() <= 0) return;
  poll_.expires_after(poll_interval_);
  poll_.async_wait([this](error_code ec) {
    if (ec || stopped_) return;
    on_poll();
    schedule_poll();
  });
}

void ReloadTriggers::on_poll() {
  watcher_.rewatch();
  if (watcher_.fingerprint() != loaded_fingerprint_) {
    reload_now("periodic check: files changed");
  } else if (!last_ok_ && !renewal_ && !remote_refresh_) {     // those retry on their backoff
    reload_now("periodic check: retrying the failed reload");  // local_ca retries on backoff
  } else {
    log_periodic_warnings();
  }
}

void ReloadTriggers::schedule_renewal(bool reloaded) {
  if (!renewal_ || stopped_) return;
  std::chrono::milliseconds delay;
  if (reloaded) {
    backoff_.reset();
    std::uniform_real_distribution<double> jitter(-1.0, 1.0);
    delay = certs::renewal_delay(renewal_->ttl, renewal_->renew_at, jitter(random_));
    log::info("local CA: next renewal in " + seconds_text(delay));
  } else {
    delay = backoff_.next();
    log::warn("local CA: renewal failed, the current certificate keeps serving; retrying in " +
              seconds_text(delay));
  }
  renew_.expires_after(delay);
  if (actions_.renewal_scheduled) {
    actions_.renewal_scheduled(std::time(nullptr) +
                               std::chrono::duration_cast<std::chrono::seconds>(delay).count());
  }
  renew_.async_wait([this](error_code ec) {
    if (!ec && !stopped_) reload_now("local CA renewal");
  });
}

// The Private CA changes nothing on disk: the only way to see a new CA certificate is to ask.
// A reload whose trust comes out the same keeps every session (the trust digest is unchanged).
void ReloadTriggers::schedule_trust_refresh() {
  if (stopped_ || trust_refresh_interval_.count() <= 0) return;
  trust_refresh_.expires_after(trust_refresh_interval_);
  trust_refresh_.async_wait([this](error_code ec) {
    if (ec || stopped_) return;
    reload_now("ACM Private CA refresh");
    schedule_trust_refresh();
  });
}

void ReloadTriggers::schedule_remote(bool ok) {
  if (!remote_refresh_ || stopped_) return;
  std::chrono::milliseconds delay = *remote_refresh_;
  if (ok) {
    backoff_.reset();
  } else {
    // Sidecars that failed together (an AWS outage, throttling) must not retry together.
    const std::chrono::milliseconds step = backoff_.next();
    std::uniform_real_distribution<double> share(0.5, 1.0);
    delay = std::chrono::milliseconds(std::llround(double(step.count()) * share(random_)));
    log::warn("acm: retrying in " + seconds_text(delay) +
              (actions_.current() ? "; the current identity keeps serving" : ""));
  }
  remote_.expires_after(delay);
  remote_.async_wait([this](error_code ec) {
    if (!ec && !stopped_) on_remote();
  });
}

void ReloadTriggers::on_remote() {
  if (!last_ok_ || !actions_.current()) {
    reload_now("acm: retrying the failed load");
    return;
  }
  bool changed = false;
  try {
    changed = actions_.remote_changed();
  } catch (const std::exception& e) {
    actions_.record_failure({false, e.what()});
    schedule_remote(false);
    return;
  }
  if (changed) {
    reload_now("acm: certificate renewed");
    return;
  }
  log::debug("acm: certificate unchanged");
  log_periodic_warnings();
  schedule_remote(true);
}

void ReloadTriggers::log_loaded(std::string_view why) {
  const auto c = actions_.current();
  if (!c) return;
  log::info("certificates loaded (" + std::string(why) + "): identity " + c->identity + " serial " +
            c->serial_hex + " valid until " + certs::rfc3339(c->not_after) + " from " + c->source);
  const std::vector<std::string> warnings = lifecycle_warnings(*c, true);
  for (const std::string& w : warnings) log::warn(w);
  if (!warnings.empty()) last_warning_ = std::chrono::steady_clock::now();
}

void ReloadTriggers::log_periodic_warnings() {
  const auto now = std::chrono::steady_clock::now();
  const auto c = actions_.current();
  if (!c || (last_warning_ != decltype(last_warning_){} && now - last_warning_ < kWarningInterval))
    return;
  const std::vector<std::string> warnings = lifecycle_warnings(*c, false);
  for (const std::string& w : warnings) log::warn(w);
  if (!warnings.empty()) last_warning_ = now;
}

}  // namespace mtls::proxy
