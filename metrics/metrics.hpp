#pragma once
// Every metric family of mtls-sidecar (DESIGN.md §5) is declared here and in metrics.cpp.
//
// Data-path families are not prometheus-cpp objects: each worker bumps its own ListenerCounters
// (single writer, see worker_counters.hpp) and Collect() sums them at scrape time, so a scrape
// right after traffic is exact and no event pays for a lock. Control-plane families (certificate
// expiry, reloads) change rarely and use prometheus-cpp's thread-safe Family/Gauge directly.
//
// Thread-safety: counters() is called once per worker at start; Collect()/serialize() from any
// thread; the control-plane setters from the control thread.

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "metrics/status_history.hpp"
#include "metrics/worker_counters.hpp"

namespace mtls::metrics {

struct ListenerLabels {
  Direction direction;
  std::string name;
  bool http = false;  // protocol: http; only these export the mtls_http_* series
};

class Metrics : public prometheus::Collectable {
 public:
  // `max_peer_labels`: distinct peer identities per listener in mtls_peer_connections_total.
  Metrics(std::vector<ListenerLabels> listeners, unsigned workers,
          std::size_t max_peer_labels = 100);

  // The counters worker `worker` writes for listener `listener` (index into the constructor list).
  ListenerCounters& counters(unsigned worker, std::size_t listener);

  // Connections open now, over every listener and worker (drain waits for 0).
  std::int64_t active_connections() const;

  // Control plane.
  void set_certificate_expiry(std::string_view kind, double unix_seconds);  // identity | trust
  void certificate_reload(std::string_view source, bool ok, double unix_seconds);
  // Creates both reload series of `source` at 0, so alerts see the first failure as an increase.
  void init_reloads(std::string_view source);
  void set_crl_next_update(std::string_view issuer, double unix_seconds);
  // Forgets every CRL series (a reload may drop a CRL; its old nextUpdate must not linger).
  void clear_crl_next_updates();

  // For GET /status (any thread; sums like a scrape, metrics_status.cpp).
  const std::vector<ListenerLabels>& listeners() const { return listeners_; }
  ListenerTotals totals(std::size_t listener) const;
  std::vector<ListenerTotals> totals() const;
  std::int64_t active(std::size_t listener) const;
  // The `n` busiest peers of `listener` (merged over workers), busiest first; "other" included.
  std::vector<std::pair<std::string, double>> top_peers(std::size_t listener, std::size_t n) const;
  struct ListenerRefusal {
    std::size_t listener;
    Refusal refusal;
  };
  // The last `n` refusals over every worker and listener, newest first.
  std::vector<ListenerRefusal> recent_refusals(std::size_t n) const;

  std::vector<prometheus::MetricFamily> Collect() const override;
  // The Prometheus text exposition of everything (GET /metrics).
  std::string serialize() const;

 private:
  std::vector<prometheus::MetricFamily> collect_data_path() const;
  std::vector<std::pair<std::string, double>> merge_peers(std::size_t listener) const;

  std::vector<ListenerLabels> listeners_;
  unsigned workers_;
  std::size_t max_peer_labels_;
  std::deque<ListenerCounters>
      counters_;  // [worker * listeners + listener]; deque: atomics don't move

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& expiry_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Family<prometheus::Gauge>& last_reload_;
  prometheus::Family<prometheus::Gauge>& crl_next_update_;
  std::set<prometheus::Gauge*> crl_gauges_;  // control thread only
};

}  // namespace mtls::metrics
