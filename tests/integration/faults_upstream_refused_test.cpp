// An upstream that refuses connections (nothing listens on the forward port), many times over:
// each app connection is closed fast, every refusal is counted with reason "refused", and no
// descriptor leaks. (limits_test.cpp checks a single refusal.)
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

constexpr int kAttempts = 100;

TEST(FaultsUpstreamRefused, EachRefusalIsCountedAndClosedFastWithoutLeaks) {
  TestPki pki;
  SidecarPair pair(pki, closed_port());
  ASSERT_TRUE(plain_exchange(pair.outbound_port(), "warm").reply.empty());
  ASSERT_EQ(wait_sample(*pair.inbound, "mtls_connections_active", {}, 0), 0);
  ASSERT_EQ(wait_sample(*pair.outbound, "mtls_connections_active", {}, 0), 0);
  const int fds_before = open_fds();

  std::vector<long> close_ms;
  for (int i = 0; i < kAttempts; ++i) {
    const int app = connect_raw(pair.outbound_port());
    ASSERT_GE(app, 0);
    const long ms = ms_until_closed(app, 3000);
    ::close(app);
    close_ms.push_back(ms < 0 ? 3001 : ms);
  }
  const double counted = wait_sample(*pair.inbound, "mtls_upstream_connect_failures_total",
                                     {{"reason", "refused"}}, kAttempts + 1);
  ASSERT_EQ(wait_sample(*pair.inbound, "mtls_connections_active", {}, 0), 0);
  ASSERT_EQ(wait_sample(*pair.outbound, "mtls_connections_active", {}, 0), 0);
  const int fds_after = open_fds();
  std::sort(close_ms.begin(), close_ms.end());

  std::printf(
      "[ measure  ] %d app connections to a refusing upstream: closed after median %ld ms, "
      "max %ld ms; %.0f refusals counted; fds %d -> %d\n",
      kAttempts, close_ms[close_ms.size() / 2], close_ms.back(), counted, fds_before, fds_after);
  EXPECT_LE(close_ms.back(), 500);
  EXPECT_EQ(counted, kAttempts + 1);
  EXPECT_EQ(fds_after, fds_before);
  score("upstream_refused_close_max_ms", double(close_ms.back()),
        close_ms.back() <= 500 && counted == kAttempts + 1 && fds_after == fds_before,
        "100 refusals: app closed <=500ms (handshake included), each counted "
        "upstream_connect_failures{refused}, no fd leak");
}

}  // namespace
}  // namespace mtls::test
