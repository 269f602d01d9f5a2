// The sums GET /status reads: the same per-worker counters a scrape sums, plus the refusal rings.
#include <algorithm>

#include "metrics/metrics.hpp"

namespace mtls::metrics {

ListenerTotals Metrics::totals(std::size_t listener) const {
  ListenerTotals t;
  for (unsigned w = 0; w < workers_; ++w) {
    const ListenerCounters& c = counters_[w * listeners_.size() + listener];
    for (std::size_t i = 0; i < t.handshakes.size(); ++i)
      t.handshakes[i] += c.handshakes[i].value();
    for (std::size_t i = 0; i < t.connect_failures.size(); ++i)
      t.connect_failures[i] += c.connect_failures[i].value();
    for (std::size_t i = 0; i < t.bytes.size(); ++i) t.bytes[i] += c.bytes[i].value();
    t.connections += c.connections.value();
  }
  return t;
}

std::vector<ListenerTotals> Metrics::totals() const {
  std::vector<ListenerTotals> out;
  for (std::size_t l = 0; l < listeners_.size(); ++l) out.push_back(totals(l));
  return out;
}

std::int64_t Metrics::active(std::size_t listener) const {
  std::int64_t total = 0;
  for (unsigned w = 0; w < workers_; ++w)
    total += counters_[w * listeners_.size() + listener].active.value();
  return total;
}

std::vector<std::pair<std::string, double>> Metrics::top_peers(std::size_t listener,
                                                               std::size_t n) const {
  auto peers = merge_peers(listener);
  std::stable_sort(peers.begin(), peers.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (peers.size() > n) peers.resize(n);
  return peers;
}

std::vector<Metrics::ListenerRefusal> Metrics::recent_refusals(std::size_t n) const {
  std::vector<ListenerRefusal> all;
  for (unsigned w = 0; w < workers_; ++w) {
    for (std::size_t l = 0; l < listeners_.size(); ++l) {
      for (auto& r : counters_[w * listeners_.size() + l].refusals.snapshot())
        all.push_back({l, std::move(r)});
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.refusal.unix_ms > b.refusal.unix_ms;
  });
  if (all.size() > n) all.resize(n);
  return all;
}

}  // namespace mtls::metrics
