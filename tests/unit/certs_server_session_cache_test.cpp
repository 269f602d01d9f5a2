// ServerSessionCache: stateful tickets shared by every server context built with the cache, so a
// session made before an identity swap resumes after it; not across caches, not after a trust
// change (session_id_context), not beyond the capacity, not after a connection that failed.
// In-memory handshakes over a BIO pair (tests/support/memory_tls).
#include <gtest/gtest.h>

#include "certs/tls_contexts.hpp"
#include "tests/support/memory_tls.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

class SessionCacheTest : public ::testing::Test {
 protected:
  SessionCacheTest() : ca_(LocalCa::generate("session cache test CA")) { policy_.any = true; }

  // Fresh leaf (a new identity) of the same CA; `extra_anchor` changes the trust.
  std::shared_ptr<const TlsContexts> contexts(std::shared_ptr<ServerSessionCache> cache,
                                              const LocalCa* extra_anchor = nullptr) {
    CertificateBundle b;
    IssuedCertificate leaf = ca_.issue(test::leaf_request("spiffe://t/sa/web", {"web"}));
    b.leaf = std::move(leaf.cert);
    b.key = std::move(leaf.key);
    b.trust.push_back(share(ca_.certificate()));
    if (extra_anchor) b.trust.push_back(share(extra_anchor->certificate()));
    b.origin = "test";
    return make_tls_contexts(b, config::TlsConfig{}, std::move(cache));
  }

  test::MemoryExchange exchange(const TlsContexts& server, const TlsContexts& client,
                                SslSessionPtr& session, test::MemoryExchangeOptions options = {}) {
    return test::exchange_in_memory(server.server.get(), client.client.get(), policy_, session,
                                    options);
  }

  LocalCa ca_;
  config::PeerPolicy policy_;
};

TEST_F(SessionCacheTest, TicketsAreSessionIdsAndResumeAcrossAnIdentitySwap) {
  auto cache = std::make_shared<ServerSessionCache>();
  const auto before = contexts(cache), after = contexts(cache);
  ASSERT_NE(before->serial_hex, after->serial_hex);
  SslSessionPtr session;
  ASSERT_TRUE(exchange(*before, *before, session).ok);
  ASSERT_TRUE(session);
  const unsigned char* ticket = nullptr;
  size_t ticket_length = 0;
  SSL_SESSION_get0_ticket(session.get(), &ticket, &ticket_length);
  EXPECT_EQ(ticket_length, size_t(SSL_MAX_SSL_SESSION_ID_LENGTH)) << "a stateless ticket";
  EXPECT_EQ(cache->size(), 1u);

  const test::MemoryExchange resumed = exchange(*after, *before, session);
  EXPECT_TRUE(resumed.ok);
  EXPECT_TRUE(resumed.resumed) << "the session from before the swap was not accepted";
  EXPECT_EQ(cache->size(), 2u) << "a resumption brings one new ticket; the old stays usable";
}

TEST_F(SessionCacheTest, ASessionIsMultiUseUntilEvicted) {
  auto cache = std::make_shared<ServerSessionCache>();
  const auto c = contexts(cache);
  SslSessionPtr first;
  exchange(*c, *c, first);
  SslSessionPtr copy(SSL_SESSION_dup(first.get()));
  EXPECT_TRUE(exchange(*c, *c, first).resumed);
  EXPECT_TRUE(exchange(*c, *c, copy).resumed) << "a concurrent connection offering the same ticket";
}

TEST_F(SessionCacheTest, ContextsWithAnotherCacheDoNotResume) {
  const auto first = contexts(std::make_shared<ServerSessionCache>());
  const auto second = contexts(std::make_shared<ServerSessionCache>());
  SslSessionPtr session;
  exchange(*first, *first, session);
  const test::MemoryExchange other = exchange(*second, *first, session);
  EXPECT_TRUE(other.ok);
  EXPECT_FALSE(other.resumed);
}

TEST_F(SessionCacheTest, ATrustChangeEndsEverySessionEvenInTheSameCache) {
  auto cache = std::make_shared<ServerSessionCache>();
  const LocalCa other = LocalCa::generate("another CA");
  const auto before = contexts(cache), after = contexts(cache, &other);
  ASSERT_NE(before->trust_digest, after->trust_digest);
  SslSessionPtr session;
  exchange(*before, *before, session);
  const test::MemoryExchange changed = exchange(*after, *before, session);
  EXPECT_TRUE(changed.ok);
  EXPECT_FALSE(changed.resumed) << "session_id_context must bind sessions to the trust";
}

TEST_F(SessionCacheTest, TheOldestSessionsGoBeyondTheCapacity) {
  auto cache = std::make_shared<ServerSessionCache>(2);
  const auto c = contexts(cache);
  SslSessionPtr s1, s2, s3;
  exchange(*c, *c, s1);
  exchange(*c, *c, s2);
  exchange(*c, *c, s3);
  EXPECT_EQ(cache->size(), 2u);
  EXPECT_FALSE(exchange(*c, *c, s1).resumed) << "the oldest was evicted";
  EXPECT_TRUE(exchange(*c, *c, s3).resumed);
}

TEST_F(SessionCacheTest, AConnectionThatDiesTakesItsSessionOut) {
  auto cache = std::make_shared<ServerSessionCache>();
  const auto c = contexts(cache);
  SslSessionPtr session;
  ASSERT_TRUE(exchange(*c, *c, session, {.clean_close = false}).ok);
  EXPECT_EQ(cache->size(), 0u);
  EXPECT_FALSE(exchange(*c, *c, session).resumed);
}

TEST_F(SessionCacheTest, Tls12ResumesBySessionId) {
  auto cache = std::make_shared<ServerSessionCache>();
  const auto c = contexts(cache);
  SslSessionPtr session;
  ASSERT_TRUE(exchange(*c, *c, session, {.max_version = TLS1_2_VERSION}).ok);
  EXPECT_EQ(SSL_SESSION_get_protocol_version(session.get()), TLS1_2_VERSION);
  EXPECT_EQ(cache->size(), 1u);
  EXPECT_TRUE(exchange(*c, *c, session, {.max_version = TLS1_2_VERSION}).resumed);
}

TEST_F(SessionCacheTest, ClearForgetsEverySession) {
  auto cache = std::make_shared<ServerSessionCache>();
  const auto c = contexts(cache);
  SslSessionPtr session;
  exchange(*c, *c, session);
  cache->clear();
  EXPECT_EQ(cache->size(), 0u);
  EXPECT_FALSE(exchange(*c, *c, session).resumed);
}

TEST_F(SessionCacheTest, WithoutACacheTicketsAreOpenSslsStatelessOnes) {
  const auto c = contexts(nullptr);
  SslSessionPtr session;
  exchange(*c, *c, session);
  const unsigned char* ticket = nullptr;
  size_t ticket_length = 0;
  SSL_SESSION_get0_ticket(session.get(), &ticket, &ticket_length);
  EXPECT_GT(ticket_length, size_t(SSL_MAX_SSL_SESSION_ID_LENGTH));
  EXPECT_TRUE(exchange(*c, *c, session).resumed);
}

}  // namespace
}  // namespace mtls::certs
