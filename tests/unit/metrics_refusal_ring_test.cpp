// The per-worker ring of recent refusals: bounded, oldest overwritten, fields cut to their size,
// and safe to read while the worker writes (the TSan build runs the last test).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "metrics/refusal_ring.hpp"

namespace mtls::metrics {
namespace {

TEST(RefusalRing, KeepsTheLastTwentyOldestFirst) {
  RefusalRing ring;
  EXPECT_TRUE(ring.snapshot().empty());
  for (int i = 0; i < 25; ++i)
    ring.record(1000 + i, "127.0.0.1:" + std::to_string(40000 + i), "unknown_ca", "-");
  const auto all = ring.snapshot();
  ASSERT_EQ(all.size(), RefusalRing::kCapacity);
  EXPECT_EQ(all.front().unix_ms, 1005);
  EXPECT_EQ(all.front().remote, "127.0.0.1:40005");
  EXPECT_EQ(all.back().unix_ms, 1024);
  EXPECT_EQ(all.back().reason, "unknown_ca");
  EXPECT_EQ(all.back().peer, "-");
}

TEST(RefusalRing, CutsOverlongFieldsInsteadOfAllocating) {
  RefusalRing ring;
  const std::string peer = "spiffe://test.local/" + std::string(500, 'p');
  ring.record(1, "[::1]:1", "identity_denied", peer);
  const auto all = ring.snapshot();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].peer, peer.substr(0, RefusalRing::kPeerMax));
  EXPECT_EQ(all[0].remote, "[::1]:1");
  EXPECT_EQ(all[0].reason, "identity_denied");
}

// A reader copying while the worker writes sees whole entries only: each entry's three fields
// were written together, so they must agree with each other.
TEST(RefusalRing, ReadersSeeWholeEntriesWhileTheWorkerWrites) {
  RefusalRing ring;
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread worker([&] {
    for (int i = 0; !stop; ++i) {
      const std::string n = std::to_string(i);
      ring.record(i, "10.0.0.1:" + n, "reason" + n, "peer" + n);
      written = i + 1;
    }
  });
  std::size_t checked = 0;
  // Until the reader has checked many entries written while it read.
  while (checked < 20000) {
    for (const Refusal& r : ring.snapshot()) {
      const std::string n = std::to_string(r.unix_ms);
      ASSERT_EQ(r.remote, "10.0.0.1:" + n);
      ASSERT_EQ(r.reason, "reason" + n);
      ASSERT_EQ(r.peer, "peer" + n);
      ++checked;
    }
  }
  stop = true;
  worker.join();
  EXPECT_EQ(ring.snapshot().back().unix_ms, written - 1);
}

}  // namespace
}  // namespace mtls::metrics
