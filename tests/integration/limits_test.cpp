// Timeouts, connection limits, upstream failures and port conflicts: each refused, closed and
// counted with its reason, without affecting other connections.
#include <gtest/gtest.h>
#include <unistd.h>

#include "proxy/demo/tls_probe.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

TEST(Limits, ClosesAConnectionThatNeverHandshakesAtTheHandshakeTimeout) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  config::Limits limits;
  limits.handshake_timeout = std::chrono::milliseconds(300);
  SidecarPair pair(pki, backend.port(), 1, limits);

  const int fd = connect_raw(pair.inbound_port());
  ASSERT_GE(fd, 0);
  const long ms = ms_until_closed(fd, 5000);
  ::close(fd);
  EXPECT_GE(ms, 250);
  EXPECT_LE(ms, 1500);
  EXPECT_EQ(wait_sample(*pair.inbound, "mtls_handshakes_total", {{"reason", "timeout"}}, 1), 1);
}

TEST(Limits, RefusesConnectionsBeyondMaxConnectionsAndKeepsServingTheOthers) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  config::Limits limits;
  limits.max_connections = 2;
  SidecarPair pair(pki, backend.port(), 1, limits);

  const int a = connect_raw(pair.inbound_port());
  const int b = connect_raw(pair.inbound_port());
  ASSERT_EQ(wait_sample(*pair.inbound, "mtls_connections_active", {}, 2), 2);
  const int c = connect_raw(pair.inbound_port());
  EXPECT_GE(ms_until_closed(c, 3000), 0) << "left hanging";  // -1: still open after 3 s
  EXPECT_EQ(wait_sample(*pair.inbound, "mtls_connections_refused_total",
                        {{"reason", "max_connections"}}, 1),
            1);
  ::close(a);
  ::close(b);
  ::close(c);
  ASSERT_EQ(wait_sample(*pair.inbound, "mtls_connections_active", {}, 0), 0);
  EXPECT_EQ(plain_exchange(pair.outbound_port(), "after").reply, "after");
}

TEST(Limits, CountsARefusedUpstreamAndClosesTheClientFast) {
  TestPki pki;
  SidecarPair pair(pki, closed_port());
  const auto start = std::chrono::steady_clock::now();
  const PlainExchange x = plain_exchange(pair.outbound_port(), "anyone?");
  EXPECT_TRUE(x.reply.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(wait_sample(*pair.inbound, "mtls_upstream_connect_failures_total",
                        {{"reason", "refused"}}, 1),
            1);
}

TEST(Limits, FailsStartUpWithAddressInUseWhenAnotherProcessHoldsThePort) {
  TestPki pki;
  const ForeignListener holder;
  config::Config c = base_config(pki, pki.leaf("backend", kBackendId, {"backend.local"}));
  c.inbound.push_back(inbound_listener(9));
  c.inbound.back().listen.port = holder.port();
  proxy::Sidecar sidecar(std::move(c), {.handle_signals = false, .admin = false});
  try {
    sidecar.start();
    FAIL() << "start() succeeded on a port held by someone else";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use);
    EXPECT_NE(std::string(e.what()).find("listener in"), std::string::npos) << e.what();
  }
}

TEST(Limits, ClosesAnIdleRelayAtTheIdleTimeout) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  config::Limits limits;
  limits.idle_timeout = std::chrono::milliseconds(400);
  LogCapture log;
  SidecarPair pair(pki, backend.port(), 1, limits);
  const int fd = connect_raw(pair.outbound_port());
  ASSERT_GE(fd, 0);
  const long ms = ms_until_closed(fd, 5000);
  ::close(fd);
  // Not before the timeout (an immediate close is a different bug), and within a few ticks of it
  // (the worker's coarse tick is timeout / 4).
  EXPECT_GE(ms, 400);
  EXPECT_LE(ms, 2000);
  // Both sidecars have the same timeout: whichever ticks first logs it, and closes with a
  // close_notify, so the other sees an orderly end, not a truncation.
  const auto logged = [&] {
    std::string all;
    for (const std::string& line : log.lines()) all += line + "\n";
    return all;
  };
  ASSERT_NE(log.wait_for({"\"event\":\"connection_end\"", "\"direction\":\"outbound\""}), "")
      << logged();
  ASSERT_NE(log.wait_for({"\"event\":\"connection_end\"", "\"direction\":\"inbound\""}), "")
      << logged();
  EXPECT_NE(log.wait_for({"\"reason\":\"timeout\"", "idle timeout"}), "") << logged();
  EXPECT_EQ(logged().find("\"reason\":\"truncated\""), std::string::npos) << logged();
}

}  // namespace
}  // namespace mtls::test
