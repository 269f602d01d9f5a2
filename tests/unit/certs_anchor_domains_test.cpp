// Which root vouches for which SPIFFE trust domain: trust.ca_bundle for ours (or, when our
// identity has no SPIFFE ID, for every domain trust.domains does not list), each trust.domains
// file for its own domain only.
#include <gtest/gtest.h>

#include "certs/anchor_domains.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

struct AnchorDomainsTest : ::testing::Test {
  AnchorDomainsTest() {
    bundle.trust.push_back(share(ours.certificate()));
    bundle.trust.push_back(share(our_next.certificate()));
    DomainRoots partner_roots{"partner.example", {}, "partner.pem"};
    partner_roots.roots.push_back(share(partner.certificate()));
    bundle.domains.push_back(std::move(partner_roots));
  }
  LocalCa ours = LocalCa::generate("ours");
  LocalCa our_next = LocalCa::generate("ours, next");
  LocalCa partner = LocalCa::generate("partner");
  LocalCa stranger = LocalCa::generate("stranger");
  CertificateBundle bundle;
};

TEST_F(AnchorDomainsTest, BundleRootsVouchForOurOwnDomainOnly) {
  const AnchorDomains domains(bundle, "demo.local");
  EXPECT_TRUE(domains.vouches(ours.certificate(), "demo.local"));
  EXPECT_TRUE(domains.vouches(our_next.certificate(), "demo.local"));  // a rotation bundle
  EXPECT_FALSE(domains.vouches(ours.certificate(), "partner.example"));
  EXPECT_FALSE(domains.vouches(ours.certificate(), "third.example"));
  EXPECT_EQ(domains.describe(ours.certificate()), "demo.local");
}

TEST_F(AnchorDomainsTest, FederatedRootsVouchForTheirDomainOnly) {
  const AnchorDomains domains(bundle, "demo.local");
  EXPECT_TRUE(domains.vouches(partner.certificate(), "partner.example"));
  EXPECT_FALSE(domains.vouches(partner.certificate(), "demo.local"));
  EXPECT_FALSE(domains.vouches(stranger.certificate(), "demo.local"));  // not configured at all
  EXPECT_EQ(domains.describe(partner.certificate()), "partner.example");
}

TEST_F(AnchorDomainsTest, WithoutOurOwnSpiffeIdBundleRootsVouchForEveryUnlistedDomain) {
  const AnchorDomains domains(bundle, "");
  EXPECT_TRUE(domains.vouches(ours.certificate(), "demo.local"));
  EXPECT_TRUE(domains.vouches(ours.certificate(), "third.example"));
  EXPECT_FALSE(domains.vouches(ours.certificate(), "partner.example"));  // listed: its own roots
  EXPECT_TRUE(domains.vouches(partner.certificate(), "partner.example"));
}

TEST_F(AnchorDomainsTest, ARootInTwoPlacesVouchesForBoth) {
  DomainRoots again{"other.example", {}, "other.pem"};
  again.roots.push_back(share(ours.certificate()));
  bundle.domains.push_back(std::move(again));
  const AnchorDomains domains(bundle, "demo.local");
  EXPECT_TRUE(domains.vouches(ours.certificate(), "demo.local"));
  EXPECT_TRUE(domains.vouches(ours.certificate(), "other.example"));
  EXPECT_EQ(domains.describe(ours.certificate()), "demo.local, other.example");
}

}  // namespace
}  // namespace mtls::certs
