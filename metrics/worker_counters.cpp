#include "metrics/worker_counters.hpp"

#include <algorithm>

namespace mtls::metrics {

void LocalHistogram::observe(double seconds) noexcept {
  const auto it = std::lower_bound(kHandshakeBuckets.begin(), kHandshakeBuckets.end(), seconds);
  buckets[std::size_t(it - kHandshakeBuckets.begin())].add();
  sum.store(sum.load(std::memory_order_relaxed) + seconds, std::memory_order_relaxed);
}

}  // namespace mtls::metrics
