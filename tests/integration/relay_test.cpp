// Bytes through outbound -> inbound -> backend arrive exactly, in both directions, and a
// half-close from the app still lets the whole response come back.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

TEST(Relay, CarriesSixtyFourMebibytesByteExactThroughBothSidecars) {
  TestPki pki;
  Backend backend(Backend::Mode::hash);
  SidecarPair pair(pki, backend.port());
  const std::string data = random_bytes(64 << 20, 42);

  const auto start = std::chrono::steady_clock::now();
  const PlainExchange x = plain_exchange(pair.outbound_port(), data);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  ASSERT_TRUE(x.connected);
  // The backend hashes what it read until our FIN arrived through both sidecars (half-close),
  // then answers on the still-open other direction.
  EXPECT_EQ(x.reply, sha256_hex(data));
  EXPECT_TRUE(x.eof);
  std::printf(
      "[ measure  ] 64 MiB app->backend in %.3f s = %.1f MiB/s (2 sidecars, 1 worker each)\n",
      seconds, 64 / seconds);
}

TEST(Relay, EchoesSixtyFourMebibytesByteExactInBothDirections) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  const std::string data = random_bytes(64 << 20, 7);

  const PlainExchange x = plain_exchange(pair.outbound_port(), data);

  ASSERT_TRUE(x.connected);
  ASSERT_EQ(x.reply.size(), data.size());
  EXPECT_TRUE(x.reply == data);
  EXPECT_TRUE(x.eof);
}

TEST(Relay, CountsBytesAndConnectionsExactlyInMetrics) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  const std::string data = random_bytes(100000, 3);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(plain_exchange(pair.outbound_port(), data).reply, data);

  // Connection ends are counted when the session closes, a moment after the client saw EOF.
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = pair.inbound->metrics().serialize();
    if (sample(text, "mtls_connections_active", {}) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(sample(text, "mtls_connections_total", {{"listener", "in"}}), 3);
  EXPECT_EQ(sample(text, "mtls_handshakes_total", {{"result", "success"}, {"reason", "ok"}}), 3);
  EXPECT_EQ(sample(text, "mtls_handshakes_total", {{"result", "failure"}}), 0);
  EXPECT_EQ(sample(text, "mtls_bytes_total", {{"from", "downstream"}}), 300000);
  EXPECT_EQ(sample(text, "mtls_bytes_total", {{"from", "upstream"}}), 300000);
  EXPECT_EQ(sample(text, "mtls_tls_version_total", {{"version", "TLSv1.3"}}), 3);
  EXPECT_EQ(sample(text, "mtls_handshake_duration_seconds_count", {}), 3);
}

TEST(Relay, SpreadsConcurrentConnectionsOverSeveralWorkers) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port(), /*workers=*/2);
  std::vector<std::thread> clients;
  std::atomic<int> exact{0};
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&, i] {
      const std::string data = random_bytes(256 * 1024, unsigned(i));
      if (plain_exchange(pair.outbound_port(), data).reply == data) ++exact;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(exact.load(), 16);
  // SO_REUSEPORT hashes each connection to one worker's acceptor: 16 connections all landing on
  // one of two workers has a chance of 2^-15. Each worker counts its own connections.
  for (proxy::Sidecar* s : {pair.outbound.get(), pair.inbound.get()}) {
    const auto on_worker = [&](unsigned w) {
      return s->metrics().counters(w, 0).connections.value();
    };
    EXPECT_GT(on_worker(0), 0u);
    EXPECT_GT(on_worker(1), 0u);
    EXPECT_EQ(on_worker(0) + on_worker(1), 16u);
  }
}

}  // namespace
}  // namespace mtls::test

namespace mtls::test {
namespace {

TEST(Resumption, OutboundResumesItsSessionWithTheInboundOnTheNextConnection) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(plain_exchange(pair.outbound_port(), "again").reply, "again");
  double resumed = 0;
  for (int i = 0; i < 200 && resumed < 3; ++i) {
    resumed = sample(pair.inbound->metrics().serialize(), "mtls_handshakes_resumed_total", {});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The first connection is a full handshake; the ticket it brings lets the next three resume.
  EXPECT_EQ(resumed, 3);
  EXPECT_EQ(sample(pair.outbound->metrics().serialize(), "mtls_handshakes_resumed_total", {}), 3);
}

double resumed_on(proxy::Sidecar& s) {
  return sample(s.metrics().serialize(), "mtls_handshakes_resumed_total", {});
}

TEST(Resumption, AnIdentityReloadKeepsResumingButATrustChangeStartsOver) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  ASSERT_EQ(plain_exchange(pair.outbound_port(), "one").reply, "one");
  ASSERT_TRUE(pair.outbound->reload().ok);  // same files: a new identity object, same trust
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the new contexts reach the worker
  ASSERT_EQ(plain_exchange(pair.outbound_port(), "two").reply, "two");
  EXPECT_EQ(resumed_on(*pair.outbound), 1);

  // Trust changes (a second root joins the bundle, as in a CA rotation overlap).
  TestPki next_root = pki.other_ca("next root");
  std::ofstream(pki.ca_bundle(), std::ios::app) << certs::read_file(next_root.ca_bundle());
  ASSERT_TRUE(pair.outbound->reload().ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(plain_exchange(pair.outbound_port(), "three").reply, "three");
  EXPECT_EQ(resumed_on(*pair.outbound), 1);  // full handshake: verified against the new trust
}

}  // namespace
}  // namespace mtls::test
