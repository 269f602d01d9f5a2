// max_connections under a burst: every connection over the limit is closed at once with a FIN
// (not left in the backlog, not reset), counted as refused, and the held ones keep working.
// (tests/integration/limits_test.cpp checks the single-connection case.)
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

constexpr int kLimit = 8;
constexpr int kBurst = 200;

TEST(ExhaustionMaxConnections, RefusesABurstPolitelyAndCountsEachOne) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  config::Limits limits;
  limits.max_connections = kLimit;
  SidecarPair pair(pki, backend.port(), 1, limits);

  // Hold the limit with live relayed connections: app -> outbound -> inbound -> echo.
  std::vector<int> held;
  for (int i = 0; i < kLimit; ++i) {
    held.push_back(connect_raw(pair.outbound_port()));
    ASSERT_GE(held.back(), 0);
    ASSERT_EQ(::send(held.back(), "x", 1, MSG_NOSIGNAL), 1);
    char c = 0;
    ASSERT_EQ(::recv(held.back(), &c, 1, 0), 1);
  }
  ASSERT_EQ(wait_sample(*pair.inbound, "mtls_connections_active", {}, kLimit), kLimit);

  std::vector<long> close_ms;
  int resets = 0, left_open = 0;
  for (int i = 0; i < kBurst; ++i) {
    const int fd = connect_raw(pair.inbound_port());
    ASSERT_GE(fd, 0);
    bool reset = false;
    const long ms = ms_until_closed(fd, 2000, &reset);
    ::close(fd);
    if (ms < 0) ++left_open;
    resets += reset;
    close_ms.push_back(ms < 0 ? 2001 : ms);
  }
  std::sort(close_ms.begin(), close_ms.end());
  const double counted = wait_sample(*pair.inbound, "mtls_connections_refused_total",
                                     {{"reason", "max_connections"}}, kBurst);

  // The held connections were not disturbed.
  for (int fd : held) {
    ASSERT_EQ(::send(fd, "y", 1, MSG_NOSIGNAL), 1);
    char c = 0;
    EXPECT_EQ(::recv(fd, &c, 1, 0), 1);
    EXPECT_EQ(c, 'y');
    ::close(fd);
  }
  ASSERT_EQ(wait_sample(*pair.inbound, "mtls_connections_active", {}, 0), 0);
  EXPECT_EQ(plain_exchange(pair.outbound_port(), "after").reply, "after");

  const long p99 = close_ms[close_ms.size() * 99 / 100];
  std::printf(
      "[ measure  ] %d connections over max_connections=%d: closed in median %ld ms, "
      "p99 %ld ms, max %ld ms; %d reset, %d left open; %.0f counted\n",
      kBurst, kLimit, close_ms[close_ms.size() / 2], p99, close_ms.back(), resets, left_open,
      counted);
  const bool ok = left_open == 0 && resets == 0 && counted == kBurst && p99 <= 100;
  score("max_connections_refusal_close_p99_ms", double(p99), ok,
        "200 over the limit: each closed with FIN (p99<=100ms), counted as "
        "refused{max_connections}, held conns unaffected");
  EXPECT_EQ(left_open, 0);
  EXPECT_EQ(resets, 0);
  EXPECT_EQ(counted, kBurst);
  EXPECT_LE(p99, 100);
}

}  // namespace
}  // namespace mtls::test
