// An outbound `forward: original_dst` listener reached directly, not through a REDIRECT rule (a
// misconfigured firewall, or an app dialling the sidecar port): the connection is reset and
// counted with reason original_dst, and nothing is dialled, least of all the listener itself.
// (The redirected path runs in tests/e2e/transparent_netns.sh, which needs root and iptables.)
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

TEST(OriginalDst, ADirectConnectionIsResetAndCountedNotLooped) {
  TestPki pki;
  config::Config out = base_config(pki, pki.leaf("frontend", kFrontendId, {"frontend.local"}));
  config::OutboundListener l = outbound_listener(0);
  l.forward = {};
  l.original_dst = true;
  out.outbound.push_back(l);
  proxy::Sidecar sidecar(std::move(out));
  sidecar.start();

  const int app = connect_raw(sidecar.port("out"));
  ASSERT_GE(app, 0);
  bool reset = false;
  const long ms = ms_until_closed(app, 3000, &reset);
  ::close(app);
  EXPECT_GE(ms, 0);
  EXPECT_TRUE(reset);
  EXPECT_EQ(
      wait_sample(sidecar, "mtls_upstream_connect_failures_total", {{"reason", "original_dst"}}, 1),
      1);
  // One accepted connection, not a chain of them dialled back into the listener.
  EXPECT_EQ(wait_sample(sidecar, "mtls_connections_total", {}, 1), 1);
  EXPECT_EQ(wait_sample(sidecar, "mtls_connections_active", {}, 0), 0);
}

}  // namespace
}  // namespace mtls::test
