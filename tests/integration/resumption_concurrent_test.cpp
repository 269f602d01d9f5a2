// Several clients resuming the same session at once, on a sidecar with several workers: each
// resumed handshake writes into the session it resumes, so the inbound session cache hands each
// one a private copy. Run under ThreadSanitizer, this shows the cache shares nothing writable
// between workers; without it, it still checks that every concurrent resumption succeeds.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/support/inbound_fixture.hpp"

namespace mtls::test {
namespace {

void resume_concurrently(int max_version) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 10;
  InboundFixture f({}, 3);
  const TestPki::Files client = f.pki.leaf("client", kFrontendId, {});
  const TlsClientResult full = f.connect(client, nullptr, max_version);
  ASSERT_TRUE(full.accepted && full.session) << full.error;

  // Each connection gets its own copy (OpenSSL's client side writes into the session it offers,
  // and a TLS 1.3 client offers a ticket once); the server still sees one session ID.
  std::vector<certs::SslSessionPtr> copies;
  for (int c = 0; c < kThreads * kRounds; ++c)
    copies.emplace_back(SSL_SESSION_dup(full.session.get()));
  std::atomic<int> resumed{0}, accepted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();  // start together: the handshakes overlap
      for (int round = 0; round < kRounds; ++round) {
        const TlsClientResult r = f.connect(client, copies[t * kRounds + round].get(), max_version);
        resumed += r.resumed ? 1 : 0;
        accepted += r.accepted ? 1 : 0;
      }
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), kThreads * kRounds);
  EXPECT_EQ(resumed.load(), kThreads * kRounds) << "every client offered the same live session";
}

TEST(ResumptionConcurrent, ManyClientsResumeTheSameSessionAtOnceTls13) { resume_concurrently(0); }

TEST(ResumptionConcurrent, ManyClientsResumeTheSameSessionAtOnceTls12) {
  resume_concurrently(TLS1_2_VERSION);
}

}  // namespace
}  // namespace mtls::test
