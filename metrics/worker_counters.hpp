#pragma once
// Per-worker, per-listener counters for the data path (DESIGN.md §3 "Metrics on the data path").
// Exactly one thread (the worker) writes each counter; the scrape thread reads them. A relaxed
// load + store is a plain add on x86 (no lock prefix, no contention) and keeps the program
// race-free for the C++ memory model and ThreadSanitizer — unlike a plain integer, and unlike
// fetch_add, which would be a locked instruction per event.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "metrics/labels.hpp"
#include "metrics/refusal_ring.hpp"

namespace mtls::metrics {

// -DMTLS_NO_DATAPATH_METRICS=ON compiles every data-path update below to nothing. It exists only to
// measure what the metrics cost (tests/bench/README.md "Cost of metrics"); such a build exports
// zeros, so CMake refuses to build the tests with it.
#ifdef MTLS_NO_DATAPATH_METRICS
inline constexpr bool kDataPathMetrics = false;
#else
inline constexpr bool kDataPathMetrics = true;
#endif

class LocalCounter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    if constexpr (kDataPathMetrics)
      value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class LocalGauge {
 public:
  void add(std::int64_t n) noexcept {
    if constexpr (kDataPathMetrics)
      value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Bucket upper bounds resolve 0.1 ms .. 1 s: a resumed handshake on loopback is ~0.2 ms, a full
// one ~1.3 ms, a cross-region one 100+ ms.
inline constexpr std::array<double, 13> kHandshakeBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};

// HTTP request durations, from the request's first byte to the response's last: 1 ms .. 30 s.
inline constexpr std::array<double, 13> kHttpBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0};

// Non-cumulative bucket counts over `Bounds` (the last slot is +Inf) and their sum.
template <const auto& Bounds>
class BoundedHistogram {
 public:
  static constexpr const auto& bounds = Bounds;
  void observe(double seconds) noexcept {
    if constexpr (!kDataPathMetrics) return;
    std::size_t i = 0;
    while (i < Bounds.size() && seconds > Bounds[i]) ++i;
    buckets[i].add();
    sum.store(sum.load(std::memory_order_relaxed) + seconds, std::memory_order_relaxed);
  }
  std::array<LocalCounter, Bounds.size() + 1> buckets;
  std::atomic<double> sum{0.0};
};
using LocalHistogram = BoundedHistogram<kHandshakeBuckets>;
using HttpHistogram = BoundedHistogram<kHttpBuckets>;

// HTTP mode's counters of one listener on one worker.
struct HttpCounters {
  std::array<std::array<LocalCounter, kCodeClasses>, kHttpMethods> requests;  // [method][class]
  std::array<LocalCounter, kHttpErrors> errors;
  HttpHistogram duration;

  void request(HttpMethod m, unsigned status) noexcept {
    const unsigned c = status / 100;
    if (c >= 1 && c <= 5) requests[index(m)][c - 1].add();
  }
  void error(HttpError e) noexcept { errors[index(e)].add(); }
};

// Connections per peer identity for one listener on one worker, with a cap on distinct peers
// (metrics.max_peer_labels) so a fleet of identities cannot blow up Prometheus; the rest count as
// "other". The worker publishes a slot's name once (release store of the slot count), the scrape
// reads only published slots (acquire), so neither side takes a lock.
class PeerCounters {
 public:
  static constexpr std::string_view kOther = "other";

  void set_cap(std::size_t cap);      // before the worker starts
  void count(std::string_view peer);  // worker thread
  template <class F>
  void for_each(F f) const {  // any thread: f(name, value)
    const std::size_t n = published_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i)
      f(std::string_view(slots_[i].name), slots_[i].count.value());
    if (other_.value() > 0) f(kOther, other_.value());
  }

 private:
  struct Slot {
    std::string name;
    LocalCounter count;
  };
  std::size_t cap_ = 0;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::size_t> published_{0};
  LocalCounter other_;
  std::unordered_map<std::string, std::size_t> index_;  // worker thread only
};

struct ListenerCounters {
  std::array<LocalCounter, kHandshakeReasons> handshakes;  // reason ok = result success
  std::array<LocalCounter, kTlsVersions> tls_versions;
  std::array<LocalCounter, kConnectFailures> connect_failures;
  std::array<LocalCounter, kRefusedReasons> refused;
  std::array<LocalCounter, 2> bytes;  // indexed by Side
  LocalCounter resumed;
  LocalCounter connections;
  LocalGauge active;
  LocalHistogram handshake_seconds;
  HttpCounters http;
  PeerCounters peers;
  RefusalRing refusals;  // written only on a refusal, not per event
  // Outbound protocol: http, the worker's upstream pool: connections idle in it and checked out
  // of it (gauges), and checkouts served by an idle connection instead of a new one.
  LocalGauge pool_idle;
  LocalGauge pool_active;
  LocalCounter pool_reuse;

  void handshake(HandshakeReason r) noexcept { handshakes[index(r)].add(); }
};

}  // namespace mtls::metrics
