#include "metrics/refusal_ring.hpp"

#include <algorithm>
#include <cstring>

#include "metrics/worker_counters.hpp"

namespace mtls::metrics {

template <std::size_t N>
void RefusalRing::Text<N>::set(std::string_view s) noexcept {
  static_assert(N < 256, "size is a uint8_t");
  size = std::uint8_t(std::min(s.size(), N));
  std::memcpy(data.data(), s.data(), size);
}

void RefusalRing::record(std::int64_t unix_ms, std::string_view remote, std::string_view reason,
                         std::string_view peer) noexcept {
  if constexpr (!kDataPathMetrics) return;
  std::lock_guard lock(mutex_);
  Entry& e = entries_[written_ % kCapacity];
  e.unix_ms = unix_ms;
  e.remote.set(remote);
  e.reason.set(reason);
  e.peer.set(peer);
  ++written_;
}

std::vector<Refusal> RefusalRing::snapshot() const {
  std::lock_guard lock(mutex_);
  const std::uint64_t n = std::min<std::uint64_t>(written_, kCapacity);
  std::vector<Refusal> out;
  out.reserve(n);
  for (std::uint64_t i = written_ - n; i < written_; ++i) {
    const Entry& e = entries_[i % kCapacity];
    out.push_back({e.unix_ms, e.remote.get(), e.reason.get(), e.peer.get()});
  }
  return out;
}

}  // namespace mtls::metrics
