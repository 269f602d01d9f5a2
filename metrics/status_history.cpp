#include "metrics/status_history.hpp"

namespace mtls::metrics {

ListenerTotals ListenerTotals::operator-(const ListenerTotals& earlier) const {
  ListenerTotals d;
  for (std::size_t i = 0; i < handshakes.size(); ++i)
    d.handshakes[i] = handshakes[i] - earlier.handshakes[i];
  for (std::size_t i = 0; i < connect_failures.size(); ++i)
    d.connect_failures[i] = connect_failures[i] - earlier.connect_failures[i];
  for (std::size_t i = 0; i < bytes.size(); ++i) d.bytes[i] = bytes[i] - earlier.bytes[i];
  d.connections = connections - earlier.connections;
  return d;
}

StatusHistory::StatusHistory(std::int64_t now_ms, std::vector<ListenerTotals> start)
    : rings_(start.size()), last_tick_ms_(now_ms) {
  for (std::size_t l = 0; l < start.size(); ++l) rings_[l].at_last_tick = start[l];
}

void StatusHistory::tick(std::int64_t now_ms, const std::vector<ListenerTotals>& totals) {
  for (std::size_t l = 0; l < rings_.size() && l < totals.size(); ++l) {
    Ring& r = rings_[l];
    r.buckets[r.next] = {last_tick_ms_, now_ms, totals[l] - r.at_last_tick};
    r.next = (r.next + 1) % kBuckets;
    if (r.size < kBuckets) ++r.size;
    r.at_last_tick = totals[l];
  }
  last_tick_ms_ = now_ms;
}

std::vector<StatusHistory::Bucket> StatusHistory::buckets(std::size_t listener, std::int64_t now_ms,
                                                          const ListenerTotals& live) const {
  const Ring& r = rings_.at(listener);
  std::vector<Bucket> out;
  out.reserve(r.size + 1);
  for (std::size_t i = 0; i < r.size; ++i)
    out.push_back(r.buckets[(r.next + kBuckets - r.size + i) % kBuckets]);
  out.push_back({last_tick_ms_, now_ms, live - r.at_last_tick});
  return out;
}

StatusHistory::Bucket StatusHistory::last(std::size_t listener, std::int64_t now_ms,
                                          const ListenerTotals& live) const {
  const Ring& r = rings_.at(listener);
  if (r.size == 0) return {last_tick_ms_, now_ms, live - r.at_last_tick};
  return r.buckets[(r.next + kBuckets - 1) % kBuckets];
}

}  // namespace mtls::metrics
