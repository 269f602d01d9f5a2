// The HTTP upstream pool against a real inbound sidecar (mTLS, relaying to an echo backend) on
// loopback: reuse, idle timeout, an upstream that closed an idle connection, max idle, max per
// destination, and resumption of new pool connections (counted by the server's metrics).
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "certs/pem.hpp"
#include "certs/tls_contexts.hpp"
#include "proxy/http/upstream_pool.hpp"
#include "proxy/upstream_connector.hpp"
#include "tests/support/inbound_fixture.hpp"

namespace mtls::test {
namespace {

namespace net = proxy::net;
using proxy::IoStatus;
using proxy::http::UpstreamPool;
using Clock = std::chrono::steady_clock;

// Blocks on the socket until `want` (poll, 5 s); false on timeout.
bool wait_for(proxy::TlsStream& s, IoStatus want) {
  pollfd p{s.socket().native_handle(), short(want == IoStatus::want_write ? POLLOUT : POLLIN), 0};
  return ::poll(&p, 1, 5000) == 1;
}

// Sends `text` and reads as many bytes back from the echo behind the inbound sidecar.
std::string echo(proxy::TlsStream& s, const std::string& text) {
  std::size_t sent = 0;
  while (sent < text.size()) {
    const auto r = s.write_some(net::buffer(text.data() + sent, text.size() - sent));
    if (r.status == IoStatus::ok) {
      sent += r.bytes;
    } else if ((r.status != IoStatus::want_read && r.status != IoStatus::want_write) ||
               !wait_for(s, r.status)) {
      return "write failed";
    }
  }
  std::string got;
  char buf[256];
  while (got.size() < text.size()) {
    const auto r = s.read_some(net::buffer(buf, sizeof buf));
    if (r.status == IoStatus::ok) {
      got.append(buf, r.bytes);
    } else if ((r.status != IoStatus::want_read && r.status != IoStatus::want_write) ||
               !wait_for(s, r.status)) {
      return got + " (read failed)";
    }
  }
  return got;
}

struct PoolTest : ::testing::Test {
  explicit PoolTest(const std::function<void(config::Config&, const TestPki&)>& tweak = {})
      : f(tweak), client(f.pki.leaf("client", kFrontendId, {})) {
    certs::CertificateBundle b;
    b.leaf = std::move(certs::load_certificates(client.cert).front());
    b.key = certs::load_private_key(client.key);
    for (auto& ca : certs::load_certificates(f.pki.ca_bundle())) b.trust.push_back(std::move(ca));
    b.source = "file";
    b.origin = "test";
    contexts = certs::make_tls_contexts(b, config::TlsConfig{});
    spec.direction = metrics::Direction::outbound;
    spec.name = "out";
    spec.forward = {"127.0.0.1", f.sidecar->port("in")};
    spec.server_name = "backend.local";
    spec.verify_server_name = true;
    spec.policy.spiffe_ids = {kBackendId};
    spec.protocol = config::Protocol::http;
    connect_to(spec.forward);
  }

  void connect_to(config::HostPort forward) {
    spec.forward = forward;
    connector = std::make_unique<proxy::UpstreamConnector>(io, spec.forward, nullptr,
                                                           std::chrono::seconds(5));
  }

  std::unique_ptr<UpstreamPool> make_pool(config::HttpPoolConfig settings = {}) {
    return std::make_unique<UpstreamPool>(
        UpstreamPool::Destination{
            .io = io,
            .spec = spec,
            .connector = *connector,
            .sessions = sessions,
            .counters = counters,
            .contexts = [this]() -> const std::shared_ptr<const certs::TlsContexts>& {
              return contexts;
            },
            .connect_timeout = std::chrono::seconds(5),
            .handshake_timeout = std::chrono::seconds(5)},
        settings);
  }

  // Checks out one connection and runs the io_context until the handler ran.
  UpstreamPool::Result checkout(UpstreamPool& pool) {
    std::optional<UpstreamPool::Result> result;
    pool.checkout([&](UpstreamPool::Result r) { result = std::move(r); });
    io.restart();
    while (!result && io.run_one_for(std::chrono::seconds(5)) > 0) {
    }
    EXPECT_TRUE(result) << "checkout did not complete";
    return result ? std::move(*result) : UpstreamPool::Result{};
  }

  // `n` checkouts started together (none released in between).
  std::vector<UpstreamPool::Result> checkout_many(UpstreamPool& pool, int n) {
    std::vector<UpstreamPool::Result> results;
    for (int i = 0; i < n; ++i)
      pool.checkout([&](UpstreamPool::Result r) { results.push_back(std::move(r)); });
    io.restart();
    while (results.size() < std::size_t(n) && io.run_one_for(std::chrono::seconds(5)) > 0) {
    }
    EXPECT_EQ(results.size(), std::size_t(n));
    return results;
  }

  double server(const std::string& name) const {
    return sample(f.sidecar->metrics().serialize(), name, {});
  }
  double server_full_handshakes() const {
    return sample(f.sidecar->metrics().serialize(), "mtls_handshakes_total", {{"reason", "ok"}}) -
           server("mtls_handshakes_resumed_total");
  }

  InboundFixture f;
  TestPki::Files client;
  std::shared_ptr<const certs::TlsContexts> contexts;
  proxy::ListenerSpec spec;
  net::io_context io;
  std::unique_ptr<proxy::UpstreamConnector> connector;
  certs::ClientSessionCache sessions;
  metrics::ListenerCounters counters;
};

TEST_F(PoolTest, AReleasedConnectionIsReusedForTheNextExchange) {
  auto pool = make_pool();
  UpstreamPool::Result first = checkout(*pool);
  ASSERT_TRUE(first.connection) << first.reason << ": " << first.detail;
  EXPECT_FALSE(first.reused);
  EXPECT_EQ(first.connection->peer().spiffe_id(), kBackendId);
  EXPECT_EQ(echo(first.connection->stream(), "one"), "one");
  proxy::http::UpstreamConnection* const same = first.connection.get();
  pool->release(std::move(first.connection), true);
  EXPECT_EQ(pool->idle(), 1u);
  EXPECT_EQ(counters.pool_idle.value(), 1);
  EXPECT_EQ(counters.pool_active.value(), 0);

  for (int i = 0; i < 5; ++i) {
    UpstreamPool::Result again = checkout(*pool);
    ASSERT_TRUE(again.connection) << again.detail;
    EXPECT_TRUE(again.reused);
    EXPECT_EQ(again.connection.get(), same);
    EXPECT_EQ(counters.pool_active.value(), 1);
    EXPECT_EQ(echo(again.connection->stream(), "again"), "again");
    pool->release(std::move(again.connection), true);
  }
  EXPECT_EQ(counters.pool_reuse.value(), 5u);
  EXPECT_EQ(f.handshakes("ok"), 1);  // one handshake for six exchanges
  EXPECT_EQ(counters.handshakes[metrics::index(metrics::HandshakeReason::ok)].value(), 1u);
}

TEST_F(PoolTest, ANonReusableReleaseClosesTheConnection) {
  auto pool = make_pool();
  UpstreamPool::Result c = checkout(*pool);
  ASSERT_TRUE(c.connection);
  pool->release(std::move(c.connection), false);
  EXPECT_EQ(pool->idle(), 0u);
  EXPECT_EQ(counters.pool_active.value(), 0);
  EXPECT_FALSE(checkout(*pool).reused);
}

TEST_F(PoolTest, IdleTimeoutClosesIdleConnectionsOldestFirst) {
  auto pool = make_pool({.max_idle_per_destination = 16,
                         .max_per_destination = 0,
                         .idle_timeout = std::chrono::seconds(30)});
  auto two = checkout_many(*pool, 2);
  ASSERT_TRUE(two[0].connection && two[1].connection);
  const auto t0 = Clock::now();
  pool->release(std::move(two[0].connection), true);
  pool->release(std::move(two[1].connection), true);
  ASSERT_EQ(pool->idle(), 2u);
  pool->on_tick(t0 + std::chrono::seconds(29));
  EXPECT_EQ(pool->idle(), 2u);
  pool->on_tick(Clock::now() + std::chrono::seconds(31));
  EXPECT_EQ(pool->idle(), 0u);
  EXPECT_EQ(counters.pool_idle.value(), 0);
  // The next exchange opens a new connection (resuming the session).
  UpstreamPool::Result next = checkout(*pool);
  ASSERT_TRUE(next.connection);
  EXPECT_FALSE(next.reused);
  EXPECT_EQ(echo(next.connection->stream(), "x"), "x");
}

TEST_F(PoolTest, MaxIdleClosesWhatIsReleasedBeyondIt) {
  auto pool = make_pool({.max_idle_per_destination = 2,
                         .max_per_destination = 0,
                         .idle_timeout = std::chrono::seconds(30)});
  auto three = checkout_many(*pool, 3);
  for (auto& r : three) {
    ASSERT_TRUE(r.connection) << r.detail;
    pool->release(std::move(r.connection), true);
  }
  EXPECT_EQ(pool->idle(), 2u);
  EXPECT_EQ(counters.pool_idle.value(), 2);
  EXPECT_EQ(counters.pool_active.value(), 0);
}

TEST_F(PoolTest, MaxPerDestinationRefusesTheCheckoutBeyondIt) {
  auto pool = make_pool({.max_idle_per_destination = 2,
                         .max_per_destination = 2,
                         .idle_timeout = std::chrono::seconds(30)});
  auto three = checkout_many(*pool, 3);
  int refused = 0;
  for (auto& r : three) refused += r.failure == UpstreamPool::Failure::exhausted ? 1 : 0;
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(pool->in_use(), 2u);
  // Once one comes back, the next checkout is served by it.
  for (auto& r : three) {
    if (r.connection) {
      pool->release(std::move(r.connection), true);
      break;
    }
  }
  EXPECT_TRUE(checkout(*pool).reused);
}

TEST_F(PoolTest, NewPoolConnectionsResumeTheSession) {
  auto pool = make_pool();
  UpstreamPool::Result first = checkout(*pool);
  ASSERT_TRUE(first.connection);
  EXPECT_FALSE(first.connection->resumed());
  // The exchange reads the TLS 1.3 tickets that followed the handshake into the session cache.
  EXPECT_EQ(echo(first.connection->stream(), "t"), "t");
  // Four more at once: the idle one is reused, three are new and all offered the cached session.
  pool->release(std::move(first.connection), true);
  auto four = checkout_many(*pool, 4);
  int resumed = 0, reused = 0;
  for (auto& r : four) {
    ASSERT_TRUE(r.connection) << r.reason << ": " << r.detail;
    reused += r.reused ? 1 : 0;
    resumed += !r.reused && r.connection->resumed() ? 1 : 0;
    EXPECT_EQ(echo(r.connection->stream(), "four"), "four");
  }
  EXPECT_EQ(reused, 1);
  EXPECT_EQ(resumed, 3);
  EXPECT_EQ(server_full_handshakes(), 1);
  EXPECT_EQ(server("mtls_handshakes_resumed_total"), 3);
}

struct ClosingUpstream : PoolTest {
  // The inbound sidecar closes connections idle for 200 ms (with close_notify).
  ClosingUpstream()
      : PoolTest([](config::Config& c, const TestPki&) {
          c.limits.idle_timeout = std::chrono::milliseconds(200);
        }) {}
};

TEST_F(ClosingUpstream, AnIdleConnectionTheUpstreamClosedIsDiscardedAndAFreshOneUsed) {
  auto pool = make_pool();
  UpstreamPool::Result first = checkout(*pool);
  ASSERT_TRUE(first.connection);
  EXPECT_EQ(echo(first.connection->stream(), "a"), "a");
  const int fd = first.connection->stream().socket().native_handle();
  pool->release(std::move(first.connection), true);
  ASSERT_EQ(pool->idle(), 1u);
  // Wait for the upstream's close (close_notify, FIN) to arrive on the idle socket.
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  UpstreamPool::Result next = checkout(*pool);
  ASSERT_TRUE(next.connection) << next.detail;
  EXPECT_FALSE(next.reused);
  EXPECT_EQ(echo(next.connection->stream(), "b"), "b");
  EXPECT_EQ(counters.pool_reuse.value(), 0u);
}

TEST_F(PoolTest, ARefusedServerIdentityIsAHandshakeFailure) {
  spec.policy.spiffe_ids = {"spiffe://test.local/ns/default/sa/someone-else"};
  auto pool = make_pool();
  UpstreamPool::Result r = checkout(*pool);
  EXPECT_FALSE(r.connection);
  EXPECT_EQ(r.failure, UpstreamPool::Failure::handshake);
  EXPECT_EQ(r.reason, "identity_denied");
  EXPECT_EQ(pool->in_use() + pool->connecting(), 0u);
  EXPECT_EQ(counters.pool_active.value(), 0);
}

// The pool's handshake holds the server to expect.spki_sha256 like a TCP outbound's: the right
// identity with an unpinned key is never pooled.
TEST_F(PoolTest, AServerWithoutAPinnedKeyIsAHandshakeFailure) {
  spec.policy.spki_sha256 = {"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="};  // no real key
  auto pool = make_pool();
  UpstreamPool::Result r = checkout(*pool);
  EXPECT_FALSE(r.connection);
  EXPECT_EQ(r.failure, UpstreamPool::Failure::handshake);
  EXPECT_EQ(r.reason, "spki_mismatch");
  EXPECT_EQ(pool->idle() + pool->in_use() + pool->connecting(), 0u);
}

TEST_F(PoolTest, ARefusedConnectIsAConnectFailure) {
  connect_to({"127.0.0.1", Backend(Backend::Mode::echo).port()});  // closed again at once
  auto pool = make_pool();
  UpstreamPool::Result r = checkout(*pool);
  EXPECT_FALSE(r.connection);
  EXPECT_EQ(r.failure, UpstreamPool::Failure::connect);
  EXPECT_EQ(r.reason, "upstream_refused");
}

TEST_F(PoolTest, ADestroyedPoolDropsItsPendingConnects) {
  auto pool = make_pool();
  bool called = false;
  pool->checkout([&](UpstreamPool::Result) { called = true; });
  pool.reset();
  io.restart();
  io.run_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(called);
  EXPECT_EQ(counters.pool_active.value(), 0);
}

}  // namespace
}  // namespace mtls::test
