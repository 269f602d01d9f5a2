// TlsContextStore: one set of ticket keys across reloads; rotating them republishes the same
// identity with new keys (the previous one kept); a failed reload publishes nothing.
#include <gtest/gtest.h>

#include "certs/tls_context_store.hpp"
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
    b.source = "fake";
    b.origin = "fake";
    return b;
  }
  std::string name() const override { return "fake"; }
  bool broken = false;

 private:
  const LocalCa& ca_;
};

struct StoreTest : ::testing::Test {
  LocalCa ca = LocalCa::generate("store test CA");
  FakeSource source{ca};
  std::vector<std::shared_ptr<const TlsContexts>> published;
  TlsContextStore store{config::TlsConfig{}, [this](auto c) { published.push_back(c); }};
};

TEST_F(StoreTest, ReloadsShareOneSetOfTicketKeys) {
  ASSERT_TRUE(store.reload(source).ok);
  ASSERT_TRUE(store.reload(source).ok);
  ASSERT_EQ(published.size(), 2u);
  EXPECT_NE(published[0]->serial_hex, published[1]->serial_hex);
  EXPECT_EQ(published[0]->ticket_keys, published[1]->ticket_keys);
}

TEST_F(StoreTest, RotatingTicketKeysRepublishesTheSameIdentityWithTheOldKeyAsPrevious) {
  ASSERT_TRUE(store.reload(source).ok);
  ASSERT_TRUE(store.rotate_ticket_keys().ok);
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(published[1]->serial_hex, published[0]->serial_hex);
  EXPECT_EQ(published[1]->trust_digest, published[0]->trust_digest);
  ASSERT_TRUE(published[1]->ticket_keys->previous().has_value());
  EXPECT_EQ(published[1]->ticket_keys->previous()->name, published[0]->ticket_keys->current().name);
  ASSERT_TRUE(store.reload(source).ok);  // later reloads keep the rotated keys
  EXPECT_EQ(published[2]->ticket_keys, published[1]->ticket_keys);
}

TEST_F(StoreTest, AFailedReloadPublishesNothingAndRotationNeedsAnIdentity) {
  EXPECT_FALSE(store.rotate_ticket_keys().ok);
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
