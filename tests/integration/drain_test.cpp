// Drain (SIGTERM): not ready at once, still accepting for drain_delay, then no new connections,
// in-flight transfers complete, and the sidecar stops when the last one ends.
#include <gtest/gtest.h>

#include <future>

#include "tests/support/backends.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

TEST(Drain, StopsAcceptingAfterTheDelayAndLetsInFlightTransfersFinish) {
  TestPki pki;
  Backend backend(Backend::Mode::slow);  // holds the transfer open until released
  config::Limits limits;
  limits.drain_delay = std::chrono::milliseconds(1000);
  limits.drain_timeout = std::chrono::seconds(20);
  SidecarPair pair(pki, backend.port(), 1, limits);
  proxy::Sidecar& inbound = *pair.inbound;
  const std::string data = random_bytes(8 << 20, 5);
  auto accepted = [&] {
    return sample(inbound.metrics().serialize(), "mtls_connections_total", {});
  };

  auto transfer =
      std::async(std::launch::async, [&] { return plain_exchange(pair.outbound_port(), data); });
  while (sample(inbound.metrics().serialize(), "mtls_connections_active", {}) < 1)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));

  const auto drain_started = std::chrono::steady_clock::now();
  inbound.request_drain();
  std::string why;
  for (int i = 0; i < 100 && inbound.ready(why); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_FALSE(inbound.ready(why));
  EXPECT_EQ(why, "draining");

  // During drain_delay the listener still accepts (load balancers take a while to notice 503).
  auto during = std::async(std::launch::async,
                           [&] { return plain_exchange(pair.outbound_port(), "during"); });
  while (accepted() < 2 &&
         std::chrono::steady_clock::now() - drain_started < std::chrono::seconds(3))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(accepted(), 2);
  EXPECT_LT(std::chrono::steady_clock::now() - drain_started, limits.drain_delay)
      << "the connection made during drain_delay was accepted only after it";

  std::this_thread::sleep_until(drain_started + limits.drain_delay +
                                std::chrono::milliseconds(500));
  const PlainExchange late = plain_exchange(pair.outbound_port(), "late");
  EXPECT_TRUE(late.reply.empty());  // the inbound listener is closed: nothing gets through
  EXPECT_EQ(accepted(), 2);

  backend.release();  // the in-flight transfer may now complete
  const PlainExchange done = transfer.get();
  EXPECT_TRUE(done.connected);
  EXPECT_TRUE(done.eof);
  const PlainExchange during_done = during.get();
  EXPECT_TRUE(during_done.connected);
  EXPECT_TRUE(during_done.eof) << "a connection accepted during drain_delay is carried to its end";
  auto stopped = std::async(std::launch::async, [&] { inbound.wait(); });
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

TEST(Drain, ClosesConnectionsStillOpenAtTheDrainTimeout) {
  TestPki pki;
  Backend backend(Backend::Mode::slow);
  config::Limits limits;
  limits.drain_delay = std::chrono::milliseconds(0);
  limits.drain_timeout = std::chrono::milliseconds(300);
  SidecarPair pair(pki, backend.port(), 1, limits);
  auto transfer = std::async(std::launch::async,
                             [&] { return plain_exchange(pair.outbound_port(), "x", 10000); });
  while (sample(pair.inbound->metrics().serialize(), "mtls_connections_active", {}) < 1)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));

  const auto start = std::chrono::steady_clock::now();
  pair.inbound->request_drain();
  pair.inbound->wait();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_TRUE(transfer.get().reply.empty());
  backend.release();
}

}  // namespace
}  // namespace mtls::test
