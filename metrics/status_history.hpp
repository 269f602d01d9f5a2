#pragma once
// The last 15 minutes of each listener's traffic in fixed buckets (10 s by default), for the
// charts and rates of GET /status. Control thread only, no locks: tick() is given each listener's
// totals, the same per-worker sums /metrics reads, and stores the difference since the previous
// tick. The data path does no new work for it.

#include <array>
#include <cstdint>
#include <vector>

#include "metrics/labels.hpp"

namespace mtls::metrics {

// One listener's counters summed over every worker (or the part of them in one bucket).
struct ListenerTotals {
  std::array<std::uint64_t, kHandshakeReasons> handshakes{};
  std::array<std::uint64_t, kConnectFailures> connect_failures{};
  std::array<std::uint64_t, 2> bytes{};  // indexed by Side
  std::uint64_t connections = 0;

  ListenerTotals operator-(const ListenerTotals& earlier) const;
};

class StatusHistory {
 public:
  static constexpr std::size_t kBuckets = 90;  // 15 minutes of 10 s

  struct Bucket {
    std::int64_t start_ms = 0;  // unix milliseconds
    std::int64_t end_ms = 0;
    ListenerTotals delta;
  };

  // `start`: the totals at start-up (all zero unless counters ran before).
  StatusHistory(std::int64_t now_ms, std::vector<ListenerTotals> start);

  // Closes the bucket in progress with these totals and opens the next one.
  void tick(std::int64_t now_ms, const std::vector<ListenerTotals>& totals);

  // The closed buckets of `listener`, oldest first (at most kBuckets), then the one in progress
  // up to `now_ms` computed from `live` totals, so their sum over the window equals the counters'
  // growth over it.
  std::vector<Bucket> buckets(std::size_t listener, std::int64_t now_ms,
                              const ListenerTotals& live) const;
  // The last closed bucket of `listener` (rates); the one in progress before the first tick.
  Bucket last(std::size_t listener, std::int64_t now_ms, const ListenerTotals& live) const;

 private:
  struct Ring {
    std::array<Bucket, kBuckets> buckets;
    std::size_t size = 0;
    std::size_t next = 0;  // slot the next closed bucket goes to
    ListenerTotals at_last_tick;
  };
  std::vector<Ring> rings_;
  std::int64_t last_tick_ms_;
};

}  // namespace mtls::metrics
