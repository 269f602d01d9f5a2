// A session is never resumed past min(peer leaf notAfter, its full handshake +
// tls.session_max_age), however often the peer renews its ticket, in both directions; past it
// the peer falls back to a full handshake, which refuses an expired leaf (`expired`). A resumed
// handshake also re-checks the CRLs that cover the peer (`crl_stale`).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "certs/pem.hpp"
#include "tests/support/inbound_fixture.hpp"
#include "tests/support/reliability.hpp"

namespace mtls::test {
namespace {

using namespace std::chrono_literals;

// A client leaf valid for a few seconds resumes before its notAfter, and after it gets a full
// handshake that refuses it, though it offers the newest ticket the sidecar gave it.
void expect_no_resumption_past_the_leaf(int max_version) {
  InboundFixture f;
  const TestPki::Files client = f.pki.leaf("client", kFrontendId, {}, 3s);
  const std::time_t not_after = not_after_of(client.cert);

  const proxy::ProbeResult full = f.connect(client, nullptr, max_version);
  ASSERT_TRUE(accepted(full)) << full.error;
  ASSERT_TRUE(full.session) << "no ticket";
  const proxy::ProbeResult resumed = f.connect(client, full.session.get(), max_version);
  ASSERT_TRUE(resumed.resumed && accepted(resumed)) << "must resume while the leaf is valid";
  ASSERT_TRUE(resumed.session);
  ASSERT_LT(std::time(nullptr), not_after) << "too slow: the leaf expired during the set-up";

  wait_until_past(not_after);
  const proxy::ProbeResult after = f.connect(client, resumed.session.get(), max_version);
  EXPECT_FALSE(after.resumed) << "an expired client leaf resumed";
  EXPECT_FALSE(accepted(after));
  EXPECT_TRUE(eventually([&] { return f.handshakes("expired") == 1; }))
      << f.sidecar->metrics().serialize();
}

TEST(ResumptionBound, AnExpiredClientLeafIsRefusedInsteadOfResumedTls13) {
  expect_no_resumption_past_the_leaf(0);
}

TEST(ResumptionBound, AnExpiredClientLeafIsRefusedInsteadOfResumedTls12) {
  expect_no_resumption_past_the_leaf(TLS1_2_VERSION);
}

// A client reconnecting every 100 ms gets a fresh ticket each time; it still falls back to a
// full handshake once session_max_age has passed since the first (full) handshake.
TEST(ResumptionBound, RenewedTicketsDoNotExtendSessionMaxAge) {
  constexpr auto kMaxAge = 1500ms;
  InboundFixture f([&](config::Config& c, const TestPki&) { c.tls.session_max_age = kMaxAge; });
  const TestPki::Files client = f.pki.leaf("client", kFrontendId, {});

  const auto start = std::chrono::steady_clock::now();
  proxy::ProbeResult last = f.connect(client);
  ASSERT_TRUE(accepted(last) && last.session) << last.error;
  int resumptions = 0;
  std::chrono::milliseconds fell_back_after{-1};
  while (std::chrono::steady_clock::now() - start < 3 * kMaxAge) {
    std::this_thread::sleep_for(100ms);  // the client's pace, not a wait for a condition
    proxy::ProbeResult next = f.connect(client, last.session.get());
    ASSERT_TRUE(accepted(next)) << next.error;
    ASSERT_TRUE(next.session);
    if (!next.resumed) {
      fell_back_after = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      break;
    }
    ++resumptions;
    last = std::move(next);  // the renewed ticket
  }
  EXPECT_GE(resumptions, 5) << "renewed tickets must resume before the bound";
  ASSERT_GE(fell_back_after.count(), 0) << "still resuming after 3 x session_max_age";
  EXPECT_GE(fell_back_after, kMaxAge - 200ms);
  EXPECT_LE(fell_back_after, kMaxAge + 1000ms);
}

// Under trust.crl_stale: refuse, a resumed handshake is refused once the CRL covering the client
// is past its nextUpdate, as a full handshake would be.
TEST(ResumptionBound, AResumedHandshakeIsRefusedWhenTheCrlGoesStale) {
  InboundFixture f([](config::Config& c, const TestPki& pki) {
    c.trust.crl = pki.dir() + "/ca.crl";
    certs::write_file(c.trust.crl, crl_pem(pki.ca(), {}, 3s), 0644);
    c.trust.crl_stale = config::CrlStale::refuse;
  });
  const std::time_t next_update = f.sidecar->contexts()->crls.at(0).next_update;
  const TestPki::Files client = f.pki.leaf("client", kFrontendId, {});

  const proxy::ProbeResult full = f.connect(client);
  ASSERT_TRUE(accepted(full) && full.session) << full.error;
  const proxy::ProbeResult resumed = f.connect(client, full.session.get());
  ASSERT_TRUE(resumed.resumed && accepted(resumed)) << "must resume while the CRL is fresh";
  ASSERT_LT(std::time(nullptr), next_update) << "too slow: the CRL went stale during the set-up";

  wait_until_past(next_update);
  const proxy::ProbeResult after = f.connect(client, resumed.session.get());
  EXPECT_TRUE(after.resumed) << "the client must have resumed: this tests the resumed path";
  EXPECT_FALSE(accepted(after)) << "a resumed handshake skipped the stale CRL";
  EXPECT_TRUE(eventually([&] { return f.handshakes("crl_stale") == 1; }))
      << f.sidecar->metrics().serialize();
}

// Outbound: the sidecar does not offer its session to a server whose leaf has expired; the full
// handshake then refuses the server.
TEST(ResumptionBound, TheOutboundSideDoesNotResumeToAnExpiredServer) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  const TestPki::Files server = pki.leaf("backend", kBackendId, {"backend.local"}, 3s);
  const TestPki::Files frontend = pki.leaf("frontend", kFrontendId, {"frontend.local"});
  const std::time_t not_after = not_after_of(server.cert);
  config::Config in = base_config(pki, server);
  in.inbound.push_back(inbound_listener(backend.port()));
  proxy::Sidecar inbound(std::move(in), {.handle_signals = false, .admin = false});
  inbound.start();
  config::Config out = base_config(pki, frontend);
  out.outbound.push_back(outbound_listener(inbound.port("in")));
  proxy::Sidecar outbound(std::move(out), {.handle_signals = false, .admin = false});
  outbound.start();

  ASSERT_EQ(plain_exchange(outbound.port("out"), "first").reply, "first");
  ASSERT_EQ(plain_exchange(outbound.port("out"), "second").reply, "second");
  ASSERT_EQ(wait_sample(outbound, "mtls_handshakes_resumed_total", {}, 1), 1)
      << "the outbound must resume while the server leaf is valid";
  ASSERT_LT(std::time(nullptr), not_after) << "too slow: the leaf expired during the set-up";

  wait_until_past(not_after);
  EXPECT_EQ(plain_exchange(outbound.port("out"), "third").reply, "");
  EXPECT_EQ(wait_sample(outbound, "mtls_handshakes_total", {{"reason", "expired"}}, 1), 1)
      << outbound.metrics().serialize();
  EXPECT_EQ(sample(outbound.metrics().serialize(), "mtls_handshakes_resumed_total", {}), 1);
}

}  // namespace
}  // namespace mtls::test
