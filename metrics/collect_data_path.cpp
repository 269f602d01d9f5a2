// Metrics::collect_data_path: sums every worker's ListenerCounters into Prometheus families.
// Runs at scrape time on the admin (control) thread; reads are relaxed loads of single-writer
// counters, so a value may lag a concurrent event by one, never tear.
#include <algorithm>
#include <limits>
#include <map>

#include "metrics/metrics.hpp"

namespace mtls::metrics {
namespace pm = prometheus;
namespace {

pm::ClientMetric labelled(const ListenerLabels& l,
                          std::vector<pm::ClientMetric::Label> extra = {}) {
  pm::ClientMetric m;
  m.label = {{"direction", std::string(name(l.direction))}, {"listener", l.name}};
  for (auto& e : extra) m.label.push_back(std::move(e));
  return m;
}

using Labels = std::vector<pm::ClientMetric::Label>;

// One listener's counters summed over every worker, appended to families as labelled samples.
class ListenerSums {
 public:
  ListenerSums(const std::deque<ListenerCounters>& all, std::size_t listeners, unsigned workers,
               std::size_t listener, const ListenerLabels& labels)
      : all_(all), listeners_(listeners), workers_(workers), listener_(listener), labels_(labels) {}

  template <class Get>
  double sum(Get get) const {
    double total = 0;
    for (unsigned w = 0; w < workers_; ++w) total += double(get(all_[w * listeners_ + listener_]));
    return total;
  }

  void counter(pm::MetricFamily& f, double value, Labels extra = {}) const {
    pm::ClientMetric m = labelled(labels_, std::move(extra));
    m.counter.value = value;
    f.metric.push_back(std::move(m));
  }

  // One series per value of an enum-indexed counter array: reason="...", version="...", from="...".
  template <class Enum, std::size_t N>
  void per_value(pm::MetricFamily& f, const char* label,
                 std::array<LocalCounter, N> ListenerCounters::*array) const {
    for (std::size_t i = 0; i < N; ++i)
      counter(f, sum([&](const ListenerCounters& c) { return (c.*array)[i].value(); }),
              {{label, std::string(name(static_cast<Enum>(i)))}});
  }

  // result="success" only for reason="ok".
  void handshakes(pm::MetricFamily& f) const {
    for (std::size_t r = 0; r < kHandshakeReasons; ++r) {
      const auto reason = static_cast<HandshakeReason>(r);
      counter(f, sum([r](const ListenerCounters& c) { return c.handshakes[r].value(); }),
              {{"result", reason == HandshakeReason::ok ? "success" : "failure"},
               {"reason", std::string(name(reason))}});
    }
  }

  void active(pm::MetricFamily& f) const {
    pm::ClientMetric gauge = labelled(labels_);
    gauge.gauge.value = sum([](const ListenerCounters& c) { return c.active.value(); });
    f.metric.push_back(std::move(gauge));
  }

  // Workers keep non-cumulative buckets; Prometheus wants them cumulative.
  template <class Hist>
  void histogram(pm::MetricFamily& f, Hist ListenerCounters::*get) const {
    return histogram(f, [get](const ListenerCounters& c) -> const Hist& { return c.*get; });
  }
  template <class Get>
  void histogram(pm::MetricFamily& f, Get get) const {
    using Hist = std::decay_t<decltype(get(all_[0]))>;
    constexpr auto& bounds = Hist::bounds;
    pm::ClientMetric hist = labelled(labels_);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= bounds.size(); ++b) {
      cumulative +=
          std::uint64_t(sum([&](const ListenerCounters& c) { return get(c).buckets[b].value(); }));
      const double bound = b < bounds.size() ? bounds[b] : std::numeric_limits<double>::infinity();
      hist.histogram.bucket.push_back({cumulative, bound});
    }
    hist.histogram.sample_count = cumulative;
    hist.histogram.sample_sum =
        sum([&](const ListenerCounters& c) { return get(c).sum.load(std::memory_order_relaxed); });
    f.metric.push_back(std::move(hist));
  }

  // HTTP mode: one series per method and code class, one per error reason.
  void http(pm::MetricFamily& requests, pm::MetricFamily& errors,
            pm::MetricFamily& duration) const {
    for (std::size_t m = 0; m < kHttpMethods; ++m) {
      for (std::size_t k = 0; k < kCodeClasses; ++k) {
        counter(requests,
                sum([&](const ListenerCounters& c) { return c.http.requests[m][k].value(); }),
                {{"method", std::string(name(static_cast<HttpMethod>(m)))},
                 {"code_class", std::string(code_class_name(k))}});
      }
    }
    for (std::size_t e = 0; e < kHttpErrors; ++e) {
      counter(errors, sum([&](const ListenerCounters& c) { return c.http.errors[e].value(); }),
              {{"reason", std::string(name(static_cast<HttpError>(e)))}});
    }
    histogram(duration,
              [](const ListenerCounters& c) -> const HttpHistogram& { return c.http.duration; });
  }

 private:
  const std::deque<ListenerCounters>& all_;
  std::size_t listeners_;
  unsigned workers_;
  std::size_t listener_;
  const ListenerLabels& labels_;
};

}  // namespace

// Every worker caps its own peers; merged, the listener could still exceed the cap when workers
// saw different peers, so the merge keeps the busiest `max_peer_labels_` and folds the rest.
std::vector<std::pair<std::string, double>> Metrics::merge_peers(std::size_t listener) const {
  std::map<std::string, double, std::less<>> merged;
  for (unsigned w = 0; w < workers_; ++w) {
    counters_[w * listeners_.size() + listener].peers.for_each(
        [&](std::string_view name, std::uint64_t v) { merged[std::string(name)] += double(v); });
  }
  double other = 0;
  if (auto it = merged.find(PeerCounters::kOther); it != merged.end()) {
    other = it->second;
    merged.erase(it);
  }
  std::vector<std::pair<std::string, double>> out(merged.begin(), merged.end());
  if (out.size() > max_peer_labels_) {
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.second > b.second; });
    for (std::size_t i = max_peer_labels_; i < out.size(); ++i) other += out[i].second;
    out.resize(max_peer_labels_);
  }
  if (other > 0) out.emplace_back(std::string(PeerCounters::kOther), other);
  return out;
}

std::vector<pm::MetricFamily> Metrics::collect_data_path() const {
  using T = pm::MetricType;
  pm::MetricFamily handshakes{
      "mtls_handshakes_total", "TLS handshakes by result and reason", T::Counter, {}};
  pm::MetricFamily duration{
      "mtls_handshake_duration_seconds", "TLS handshake duration", T::Histogram, {}};
  pm::MetricFamily resumed{
      "mtls_handshakes_resumed_total", "Handshakes that resumed a session", T::Counter, {}};
  pm::MetricFamily versions{
      "mtls_tls_version_total", "Successful handshakes by TLS version", T::Counter, {}};
  pm::MetricFamily active{"mtls_connections_active", "Connections open now", T::Gauge, {}};
  pm::MetricFamily total{"mtls_connections_total", "Connections accepted", T::Counter, {}};
  pm::MetricFamily bytes{
      "mtls_bytes_total", "Bytes relayed, by the side they came from", T::Counter, {}};
  pm::MetricFamily connect{
      "mtls_upstream_connect_failures_total", "Failed upstream connects by reason", T::Counter, {}};
  pm::MetricFamily peers{"mtls_peer_connections_total",
                         "Connections by verified peer identity (capped; the rest are \"other\")",
                         T::Counter,
                         {}};
  pm::MetricFamily refused{
      "mtls_connections_refused_total",
      "Connections refused before any TLS, or closed later by policy, by reason",
      T::Counter,
      {}};

  pm::MetricFamily pool{"mtls_upstream_pool_connections",
                        "Upstream mTLS connections of the HTTP pool, idle or in use",
                        T::Gauge,
                        {}};
  pm::MetricFamily reuse{"mtls_upstream_pool_reuse_total",
                         "Requests sent on a pooled connection instead of a new one",
                         T::Counter,
                         {}};
  pm::MetricFamily http_requests{"mtls_http_requests_total",
                                 "HTTP requests by method and response status class",
                                 T::Counter,
                                 {}};
  pm::MetricFamily http_duration{"mtls_http_request_duration_seconds",
                                 "HTTP requests, from their first byte to the response's last",
                                 T::Histogram,
                                 {}};
  pm::MetricFamily http_errors{
      "mtls_http_errors_total", "HTTP exchanges that failed, by reason", T::Counter, {}};

  for (std::size_t l = 0; l < listeners_.size(); ++l) {
    const ListenerSums listener(counters_, listeners_.size(), workers_, l, listeners_[l]);
    listener.handshakes(handshakes);
    listener.per_value<TlsVersion>(versions, "version", &ListenerCounters::tls_versions);
    listener.per_value<ConnectFailure>(connect, "reason", &ListenerCounters::connect_failures);
    listener.per_value<RefusedReason>(refused, "reason", &ListenerCounters::refused);
    listener.per_value<Side>(bytes, "from", &ListenerCounters::bytes);
    listener.counter(resumed,
                     listener.sum([](const ListenerCounters& c) { return c.resumed.value(); }));
    listener.counter(total,
                     listener.sum([](const ListenerCounters& c) { return c.connections.value(); }));
    for (auto& [peer, value] : merge_peers(l)) listener.counter(peers, value, {{"peer", peer}});
    listener.active(active);
    listener.histogram(duration, &ListenerCounters::handshake_seconds);
    if (listeners_[l].http) listener.http(http_requests, http_errors, http_duration);
    if (listeners_[l].http && listeners_[l].direction == Direction::outbound) {
      // Only HTTP outbound listeners pool upstream connections (a TCP relay's upstream is its
      // client's own). The contract's labels are {listener,state} and {listener}: no direction.
      const auto sample = [&](pm::MetricFamily& f, Labels labels, double value, bool gauge) {
        pm::ClientMetric m;
        m.label = {{"listener", listeners_[l].name}};
        for (auto& label : labels) m.label.push_back(std::move(label));
        (gauge ? m.gauge.value : m.counter.value) = value;
        f.metric.push_back(std::move(m));
      };
      sample(pool, {{"state", "idle"}},
             listener.sum([](const ListenerCounters& c) { return c.pool_idle.value(); }), true);
      sample(pool, {{"state", "active"}},
             listener.sum([](const ListenerCounters& c) { return c.pool_active.value(); }), true);
      sample(reuse, {},
             listener.sum([](const ListenerCounters& c) { return c.pool_reuse.value(); }), false);
    }
  }
  return {std::move(handshakes),  std::move(duration),      std::move(resumed),
          std::move(versions),    std::move(active),        std::move(total),
          std::move(bytes),       std::move(connect),       std::move(refused),
          std::move(peers),       std::move(http_requests), std::move(http_duration),
          std::move(http_errors), std::move(pool),          std::move(reuse)};
}

}  // namespace mtls::metrics
