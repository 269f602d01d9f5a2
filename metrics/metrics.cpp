#include "metrics/metrics.hpp"

#include <prometheus/text_serializer.h>

#include "metrics/seccomp_denials.hpp"

namespace mtls::metrics {
namespace pm = prometheus;

Metrics::Metrics(std::vector<ListenerLabels> listeners, unsigned workers,
                 std::size_t max_peer_labels)
    : listeners_(std::move(listeners)),
      workers_(workers),
      max_peer_labels_(max_peer_labels),
      counters_(listeners_.size() * workers),
      registry_(std::make_shared<pm::Registry>()),
      expiry_(pm::BuildGauge()
                  .Name("mtls_certificate_expiry_timestamp_seconds")
                  .Help("Earliest not-after of the serving identity or of the trust anchors")
                  .Register(*registry_)),
      reloads_(pm::BuildCounter()
                   .Name("mtls_certificate_reloads_total")
                   .Help("Certificate and trust reloads by source and result")
                   .Register(*registry_)),
      last_reload_(pm::BuildGauge()
                       .Name("mtls_certificate_last_reload_timestamp_seconds")
                       .Help("Time of the last successful reload by source")
                       .Register(*registry_)),
      crl_next_update_(pm::BuildGauge()
                           .Name("mtls_crl_next_update_timestamp_seconds")
                           .Help("nextUpdate of each loaded CRL by issuer")
                           .Register(*registry_)) {
  for (auto& c : counters_) c.peers.set_cap(max_peer_labels_);
}

ListenerCounters& Metrics::counters(unsigned worker, std::size_t listener) {
  return counters_[worker * listeners_.size() + listener];
}

std::int64_t Metrics::active_connections() const {
  std::int64_t total = 0;
  for (const auto& c : counters_) total += c.active.value();
  return total;
}

void Metrics::set_certificate_expiry(std::string_view kind, double unix_seconds) {
  expiry_.Add({{"kind", std::string(kind)}}).Set(unix_seconds);
}

void Metrics::certificate_reload(std::string_view source, bool ok, double unix_seconds) {
  reloads_.Add({{"source", std::string(source)}, {"result", ok ? "success" : "failure"}})
      .Increment();
  if (ok) last_reload_.Add({{"source", std::string(source)}}).Set(unix_seconds);
}

void Metrics::init_reloads(std::string_view source) {
  reloads_.Add({{"source", std::string(source)}, {"result", "success"}});
  reloads_.Add({{"source", std::string(source)}, {"result", "failure"}});
}

void Metrics::set_crl_next_update(std::string_view issuer, double unix_seconds) {
  pm::Gauge& gauge = crl_next_update_.Add({{"issuer", std::string(issuer)}});
  gauge.Set(unix_seconds);
  crl_gauges_.insert(&gauge);
}

void Metrics::clear_crl_next_updates() {
  for (pm::Gauge* gauge : crl_gauges_) crl_next_update_.Remove(gauge);
  crl_gauges_.clear();
}

std::vector<pm::MetricFamily> Metrics::Collect() const {
  std::vector<pm::MetricFamily> out = collect_data_path();
  for (auto& f : registry_->Collect()) out.push_back(std::move(f));
  // Read at scrape time from the process-wide atomic the SIGSYS handler bumps: a handler cannot
  // call into prometheus-cpp (it locks).
  pm::MetricFamily denied{"mtls_seccomp_denied_total",
                          "Syscalls the seccomp allow-list refused (each failed with EPERM)",
                          pm::MetricType::Counter,
                          {}};
  pm::ClientMetric value;
  value.counter.value = double(seccomp_denied.load(std::memory_order_relaxed));
  denied.metric.push_back(std::move(value));
  out.push_back(std::move(denied));
  return out;
}

std::string Metrics::serialize() const { return pm::TextSerializer().Serialize(Collect()); }

}  // namespace mtls::metrics
