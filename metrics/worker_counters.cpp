#include "metrics/worker_counters.hpp"

#include <algorithm>

namespace mtls::metrics {

void PeerCounters::set_cap(std::size_t cap) {
  cap_ = cap;
  slots_ = std::make_unique<Slot[]>(cap);
}

void PeerCounters::count(std::string_view peer) {
  if constexpr (!kDataPathMetrics) return;
  // Heterogeneous lookup needs C++20 transparent hashing; a peer string per connection is cheap
  // next to the handshake that produced it.
  const auto it = index_.find(std::string(peer));
  if (it != index_.end()) return slots_[it->second].count.add();
  const std::size_t n = published_.load(std::memory_order_relaxed);
  if (n >= cap_) return other_.add();
  slots_[n].name = peer;
  slots_[n].count.add();
  index_.emplace(std::string(peer), n);
  published_.store(n + 1, std::memory_order_release);
}

}  // namespace mtls::metrics
