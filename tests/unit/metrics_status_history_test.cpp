// The 15-minute history behind GET /status: each tick stores what the counters grew by since
// the previous one, the window holds at most 90 buckets, and the bucket in progress completes
// the sum so the chart adds up to the counters.
#include <gtest/gtest.h>

#include "metrics/status_history.hpp"

namespace mtls::metrics {
namespace {

ListenerTotals with(std::uint64_t ok, std::uint64_t denied, std::uint64_t connections = 0) {
  ListenerTotals t;
  t.handshakes[index(HandshakeReason::ok)] = ok;
  t.handshakes[index(HandshakeReason::identity_denied)] = denied;
  t.connections = connections;
  return t;
}

std::uint64_t ok_of(const StatusHistory::Bucket& b) {
  return b.delta.handshakes[index(HandshakeReason::ok)];
}

TEST(StatusHistory, StoresTheGrowthOfEachBucket) {
  StatusHistory h(0, {with(2, 0)});  // counted before the history started: not in any bucket
  h.tick(10'000, {with(5, 1)});
  h.tick(20'000, {with(5, 4)});
  const auto b = h.buckets(0, 25'000, with(9, 4));
  ASSERT_EQ(b.size(), 3u);  // two closed, one in progress
  EXPECT_EQ(ok_of(b[0]), 3u);
  EXPECT_EQ(b[0].delta.handshakes[index(HandshakeReason::identity_denied)], 1u);
  EXPECT_EQ(ok_of(b[1]), 0u);
  EXPECT_EQ(b[1].delta.handshakes[index(HandshakeReason::identity_denied)], 3u);
  EXPECT_EQ(ok_of(b[2]), 4u);
  EXPECT_EQ(b[2].start_ms, 20'000);
  EXPECT_EQ(b[2].end_ms, 25'000);
}

TEST(StatusHistory, KeepsFifteenMinutesAndDropsTheOldest) {
  StatusHistory h(0, {with(0, 0)});
  for (std::uint64_t i = 1; i <= 100; ++i) h.tick(std::int64_t(i) * 10'000, {with(i * i, 0)});
  const auto b = h.buckets(0, 1'000'000, with(100 * 100, 0));
  ASSERT_EQ(b.size(), StatusHistory::kBuckets + 1);
  // The oldest kept bucket is the 11th: (11^2 - 10^2) handshakes from 100 s to 110 s.
  EXPECT_EQ(b.front().start_ms, 100'000);
  EXPECT_EQ(ok_of(b.front()), 121u - 100u);
  EXPECT_EQ(ok_of(b[b.size() - 2]), 10000u - 99u * 99u);
  EXPECT_EQ(ok_of(b.back()), 0u);
}

TEST(StatusHistory, RatesComeFromTheLastClosedBucket) {
  StatusHistory h(0, {with(0, 0, 0), with(0, 0, 0)});
  // Before any tick, the bucket in progress.
  EXPECT_EQ(h.last(1, 4'000, with(0, 0, 8)).delta.connections, 8u);
  h.tick(10'000, {with(0, 0, 3), with(0, 0, 50)});
  const auto last = h.last(1, 12'000, with(0, 0, 51));
  EXPECT_EQ(last.delta.connections, 50u);
  EXPECT_EQ(last.end_ms - last.start_ms, 10'000);
  EXPECT_EQ(h.last(0, 12'000, with(0, 0, 3)).delta.connections, 3u);
}

}  // namespace
}  // namespace mtls::metrics
