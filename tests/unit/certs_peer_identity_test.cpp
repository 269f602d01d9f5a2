#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "certs/local_ca.hpp"
#include "certs/peer_identity.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kWeb = "spiffe://demo.local/ns/default/sa/web";

using Names = std::vector<std::string>;

PeerIdentity peer(Names uris, Names dns_names = {}, std::string common_name = "") {
  return {std::move(uris), std::move(dns_names), std::move(common_name)};
}

PeerIdentity spiffe_peer(const std::string& id) { return peer({id}); }

// A policy with one list filled, e.g. policy(&config::PeerPolicy::dns_names, {"web"}).
config::PeerPolicy policy(Names config::PeerPolicy::*list, Names values) {
  config::PeerPolicy result;
  result.*list = std::move(values);
  return result;
}

config::PeerPolicy allow_ids(Names ids) { return policy(&config::PeerPolicy::spiffe_ids, ids); }

config::PeerPolicy allow_any() {
  config::PeerPolicy result;
  result.any = true;
  return result;
}

TEST(ExtractIdentity, ReadsUriAndDnsSansAndTheCommonName) {
  const test::TestPki pki;
  const IssuedCertificate leaf = pki.ca().issue(test::leaf_request(kWeb, {"web", "w.svc"}));
  const PeerIdentity peer = extract_identity(leaf.cert.get());
  EXPECT_THAT(peer.uris, ElementsAre(kWeb));
  EXPECT_THAT(peer.dns_names, ElementsAre("web", "w.svc"));
  EXPECT_EQ(peer.common_name, "web");
  EXPECT_EQ(peer.spiffe_id(), kWeb);
  EXPECT_EQ(peer.display(), kWeb);
}

TEST(ExtractIdentity, CertificateWithoutSansHasOnlyItsCommonName) {
  const test::TestPki pki("plain root");
  const PeerIdentity peer = extract_identity(pki.ca().certificate());
  EXPECT_THAT(peer.uris, IsEmpty());
  EXPECT_THAT(peer.dns_names, IsEmpty());
  EXPECT_EQ(peer.common_name, "plain root");
  EXPECT_EQ(peer.display(), "CN=plain root");
}

TEST(PeerIdentityDisplay, FallsBackFromSpiffeIdToDnsToCnToDash) {
  EXPECT_EQ(peer({kWeb}, {"web"}).display(), kWeb);
  EXPECT_EQ(peer({"https://x"}, {"web"}).display(), "web");
  EXPECT_EQ(peer({}, {}, "cn").display(), "CN=cn");
  EXPECT_EQ(PeerIdentity{}.display(), "-");
}

TEST(SpiffeTrustDomain, IsTheHostOfAValidSpiffeId) {
  EXPECT_EQ(spiffe_trust_domain(kWeb), "demo.local");
  EXPECT_EQ(spiffe_trust_domain("spiffe://demo.local"), "demo.local");
}

TEST(SpiffeTrustDomain, IsEmptyForAnythingThatIsNotASpiffeId) {
  for (const char* uri :
       {"", "https://demo.local/x", "spiffe://", "spiffe:///path", "SPIFFE://demo.local/x",
        "spiffe://Demo.local/x", "spiffe://td:443/x", "spiffe://user@td/x", "spiffe://td/x/",
        "spiffe://td//x", "spiffe://td/a/../b", "spiffe://td/x?q=1", "spiffe://td/x#f",
        "spiffe://td/%41"}) {
    EXPECT_EQ(spiffe_trust_domain(uri), "") << uri;
  }
}

TEST(Authorize, AdmitsAnExactSpiffeId) {
  const Verdict verdict = authorize(spiffe_peer(kWeb), allow_ids({kWeb}));
  EXPECT_TRUE(verdict.allowed);
  EXPECT_EQ(verdict.reason, "ok");
}

TEST(Authorize, DeniesAnotherSpiffeIdNamingWhatWasSeen) {
  const Verdict verdict =
      authorize(spiffe_peer("spiffe://demo.local/ns/default/sa/evil"), allow_ids({kWeb}));
  EXPECT_FALSE(verdict.allowed);
  EXPECT_EQ(verdict.reason, "identity_denied");
  EXPECT_EQ(verdict.detail, "spiffe://demo.local/ns/default/sa/evil is not in spiffe_ids");
}

TEST(Authorize, AdmitsAnyIdOfAListedTrustDomainOnly) {
  const config::PeerPolicy domains = policy(&config::PeerPolicy::trust_domains, {"demo.local"});
  EXPECT_TRUE(authorize(spiffe_peer(kWeb), domains).allowed);
  EXPECT_FALSE(authorize(spiffe_peer("spiffe://other.local/ns/x"), domains).allowed);
  // A prefix is not a trust domain.
  EXPECT_FALSE(authorize(spiffe_peer("spiffe://demo.local.evil/ns/x"), domains).allowed);
}

TEST(Authorize, MatchesDnsNamesIgnoringAsciiCase) {
  const config::PeerPolicy dns = policy(&config::PeerPolicy::dns_names, {"Orders.Default.SVC"});
  EXPECT_TRUE(authorize(peer({}, {"other", "orders.default.svc"}), dns).allowed);
  const Verdict denied = authorize(peer({}, {"orders"}), dns);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.detail, "DNS orders is not in dns_names");
}

TEST(Authorize, MatchesTheCommonNameExactly) {
  const config::PeerPolicy cns = policy(&config::PeerPolicy::common_names, {"legacy-client"});
  EXPECT_TRUE(authorize(peer({}, {}, "legacy-client"), cns).allowed);
  EXPECT_FALSE(authorize(peer({}, {}, "Legacy-Client"), cns).allowed);
}

TEST(Authorize, AnyAdmitsEveryPeerWithAtMostOneUri) {
  const config::PeerPolicy any = allow_any();
  EXPECT_TRUE(authorize(spiffe_peer(kWeb), any).allowed);
  EXPECT_TRUE(authorize(peer({}, {}, "x"), any).allowed);
}

TEST(Authorize, RefusesTwoUriSansAsABadCertificateEvenWithAny) {
  const PeerIdentity two = peer({kWeb, "spiffe://demo.local/ns/default/sa/admin"});
  for (const config::PeerPolicy& policy : {allow_any(), allow_ids({kWeb})}) {
    const Verdict verdict = authorize(two, policy);
    EXPECT_FALSE(verdict.allowed);
    EXPECT_EQ(verdict.reason, "bad_certificate");
    EXPECT_THAT(verdict.detail, HasSubstr("2 URI SANs"));
  }
}

TEST(Authorize, DeniesANonSpiffeUriEvenIfListedVerbatim) {
  config::PeerPolicy listed = allow_ids({"https://demo.local/web"});
  listed.trust_domains = {"demo.local"};
  const Verdict verdict = authorize(spiffe_peer("https://demo.local/web"), listed);
  EXPECT_FALSE(verdict.allowed);
  EXPECT_EQ(verdict.reason, "identity_denied");
  EXPECT_EQ(verdict.detail,
            "https://demo.local/web (URI is not a valid SPIFFE ID) is not in spiffe_ids or "
            "trust_domains");
}

TEST(Authorize, DeniesAPeerWithoutAnyIdentity) {
  const Verdict verdict = authorize(peer({}), allow_ids({kWeb}));
  EXPECT_FALSE(verdict.allowed);
  EXPECT_EQ(verdict.reason, "identity_denied");
  EXPECT_EQ(verdict.detail, "peer certificate has no URI SAN, DNS SAN or CN");
}

TEST(Authorize, DeniedDetailListsEveryNameSeen) {
  config::PeerPolicy orders;
  orders.dns_names = {"orders"};
  orders.common_names = {"orders"};
  const Verdict verdict = authorize(peer({kWeb}, {"web"}, "web"), orders);
  EXPECT_EQ(verdict.detail,
            std::string(kWeb) + " (DNS web; CN web) is not in dns_names or common_names");
}

}  // namespace
}  // namespace mtls::certs
