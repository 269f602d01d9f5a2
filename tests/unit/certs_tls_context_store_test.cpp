// TlsContextStore: one session cache across reloads, cleared when the trust changes; a failed
// reload publishes nothing.
#include <gtest/gtest.h>

#include "certs/tls_context_store.hpp"
#include "tests/support/memory_tls.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

class FakeSource : public CertificateSource {
 public:
  explicit FakeSource(const LocalCa& ca) : ca_(ca) {}
  CertificateBundle load() override {
    if (broken) throw std::runtime_error("fake: broken");
    IssuedCertificate leaf = ca_.issue(test::leaf_request("spiffe://t/sa/web"));
    CertificateBundle b;
    b.leaf = std::move(leaf.cert);
    b.key = std::move(leaf.key);
    b.trust.push_back(share(ca_.certificate()));
    if (extra_anchor) b.trust.push_back(share(extra_anchor->certificate()));
    b.source = "fake";
    b.origin = "fake";
    return b;
  }
  std::string name() const override { return "fake"; }
  bool broken = false;
  const LocalCa* extra_anchor = nullptr;  // set: the trust changes

 private:
  const LocalCa& ca_;
};

struct StoreTest : ::testing::Test {
  LocalCa ca = LocalCa::generate("store test CA");
  FakeSource source{ca};
  std::vector<std::shared_ptr<const TlsContexts>> published;
  TlsContextStore store{config::TlsConfig{}, [this](auto c) { published.push_back(c); }};
};

// One in-memory connection to the current contexts, leaving its session in the cache.
void connect_once(const TlsContexts& c) {
  config::PeerPolicy any;
  any.any = true;
  SslSessionPtr session;
  ASSERT_TRUE(test::exchange_in_memory(c.server.get(), c.client.get(), any, session).ok);
}

TEST_F(StoreTest, ReloadsShareOneSessionCacheWhileTheTrustStaysTheSame) {
  ASSERT_TRUE(store.reload(source).ok);
  connect_once(*store.current());
  ASSERT_TRUE(store.reload(source).ok);
  ASSERT_EQ(published.size(), 2u);
  EXPECT_NE(published[0]->serial_hex, published[1]->serial_hex);
  ASSERT_TRUE(published[0]->session_cache);
  EXPECT_EQ(published[0]->session_cache, published[1]->session_cache);
  EXPECT_EQ(published[1]->session_cache->size(), 1u);
}

TEST_F(StoreTest, ATrustChangeClearsTheSessionCache) {
  ASSERT_TRUE(store.reload(source).ok);
  connect_once(*store.current());
  const LocalCa other = LocalCa::generate("another CA");
  source.extra_anchor = &other;
  ASSERT_TRUE(store.reload(source).ok);
  EXPECT_EQ(published[1]->session_cache, published[0]->session_cache);
  EXPECT_EQ(published[1]->session_cache->size(), 0u);
}

TEST_F(StoreTest, AFailedReloadPublishesNothing) {
  ASSERT_TRUE(store.reload(source).ok);
  source.broken = true;
  const ReloadResult r = store.reload(source);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "fake: broken");
  EXPECT_EQ(published.size(), 1u);
  EXPECT_EQ(store.current(), published[0]);
}

}  // namespace
}  // namespace mtls::certs
