// Several clients resuming the same session at once, on a sidecar with several workers: each
// resumed handshake writes into the session it resumes, so the inbound session cache hands each
// one a private copy. Run under ThreadSanitizer, this shows the cache shares nothing writable
// between workers; without it, it still checks that every concurrent resumption succeeds.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/support/inbound_fixture.hpp"
#include "tests/support/reliability.hpp"

namespace mtls::test {
namespace {

void resume_concurrently(int max_version) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 10;
  InboundFixture f({}, 3);
  const TestPki::Files client = f.pki.leaf("client", kFrontendId, {});
  const proxy::ProbeResult full = f.connect(client, nullptr, max_version);
  ASSERT_TRUE(accepted(full) && full.session) << full.error;

  // Each connection gets its own copy (OpenSSL's client side writes into the session it offers,
  // and a TLS 1.3 client offers a ticket once); the server still sees one session ID.
  std::vector<certs::SslSessionPtr> copies;
  for (int c = 0; c < kThreads * kRounds; ++c)
    copies.emplace_back(SSL_SESSION_dup(full.session.get()));
  std::atomic<int> resumed{0}, admitted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();  // start together: the handshakes overlap
      for (int round = 0; round < kRounds; ++round) {
        const proxy::ProbeResult r =
            f.connect(client, copies[t * kRounds + round].get(), max_version);
        resumed += r.resumed ? 1 : 0;
        admitted += accepted(r) ? 1 : 0;
      }
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), kThreads * kRounds);
  EXPECT_EQ(resumed.load(), kThreads * kRounds) << "every client offered the same live session";
}

TEST(ResumptionConcurrent, ManyClientsResumeTheSameSessionAtOnceTls13) { resume_concurrently(0); }

TEST(ResumptionConcurrent, ManyClientsResumeTheSameSessionAtOnceTls12) {
  resume_concurrently(TLS1_2_VERSION);
}

// The outbound side: once it holds a ticket, app connections whose handshakes overlap (the
// worker starts them all before any gets its new ticket) must each resume, not fall back to a
// full handshake. Counted on the server: full handshakes = successful - resumed.
// Disabled: it fails in about half the runs today (1 to 5 of the 8 overlapping connections do a
// full handshake; with the client cache offering nothing, all 8 do), so the outbound's single
// cached session does not serve a burst. Enable it with the fix (a few tickets per destination).
TEST(ResumptionConcurrent, OverlappingOutboundConnectionsAllResume) {
  constexpr int kConnections = 8;
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  ASSERT_EQ(plain_exchange(pair.outbound_port(), "warm").reply, "warm");  // the one full handshake

  std::vector<int> fds;
  for (int i = 0; i < kConnections; ++i) {
    fds.push_back(connect_raw(pair.outbound_port()));
    ASSERT_GE(fds.back(), 0);
  }
  for (const int fd : fds) ASSERT_EQ(::send(fd, "x", 1, MSG_NOSIGNAL), 1);
  for (const int fd : fds) {
    char byte = 0;
    EXPECT_EQ(::recv(fd, &byte, 1, 0), 1);
    ::close(fd);
  }
  const double ok =
      wait_sample(*pair.inbound, "mtls_handshakes_total", {{"reason", "ok"}}, kConnections + 1);
  ASSERT_EQ(ok, kConnections + 1);
  const double resumed =
      sample(pair.inbound->metrics().serialize(), "mtls_handshakes_resumed_total", {});
  EXPECT_EQ(ok - resumed, 1) << "full handshakes on the server; " << resumed << " resumed";
}

}  // namespace
}  // namespace mtls::test
