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

// Whether `text` is valid UTF-8 with no C0 control character or DEL: what a Prometheus label
// value and a JSON log line can carry.
bool is_clean_utf8(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return false;
    const std::size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (n == 0 || i + n > text.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// A certificate whose only SAN is a DNS name of raw bytes (an IA5String holds whatever a CA put
// there) and whose CN is `cn`.
X509Ptr certificate_with_dns_bytes(const std::string& dns, const std::string& cn) {
  const test::TestPki pki;
  IssuedCertificate leaf = pki.ca().issue(test::leaf_request("", {"placeholder"}));
  X509* x = leaf.cert.get();
  X509_EXTENSION_free(X509_delete_ext(x, X509_get_ext_by_NID(x, NID_subject_alt_name, -1)));
  GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size()));
  GENERAL_NAME_set0_value(name, GEN_DNS, text);
  sk_GENERAL_NAME_push(names, name);
  X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT);
  GENERAL_NAMES_free(names);
  X509_NAME* subject = X509_NAME_new();
  X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.data()),
                             static_cast<int>(cn.size()), -1, 0);
  X509_set_subject_name(x, subject);
  X509_NAME_free(subject);
  X509_sign(x, pki.ca().key(), EVP_sha256());
  return std::move(leaf.cert);
}

PeerIdentity peer_with_cn(const std::string& cn) { return peer({}, {}, cn); }

TEST(PeerIdentityDisplay, EscapesBytesThatAreNotPrintableUtf8) {
  std::string dns = "a";
  for (int b = 0x80; b <= 0xff; ++b) dns.push_back(static_cast<char>(b));
  dns += "\x01\n\x1b[31m\x7f\\.svc";
  const X509Ptr cert = certificate_with_dns_bytes(dns, "caf\xc3\xa9\ttab");
  const PeerIdentity peer = extract_identity(cert.get());
  ASSERT_EQ(peer.dns_names.size(), 1u);
  EXPECT_EQ(peer.dns_names.front(), dns);  // matching sees the certificate's own bytes
  const std::string label = peer.display();
  EXPECT_TRUE(is_clean_utf8(label)) << label;
  EXPECT_TRUE(label.starts_with("a\\x80\\x81")) << label;
  EXPECT_TRUE(label.ends_with("\\xff\\x01\\x0a\\x1b[31m\\x7f\\x5c.svc")) << label;
  // Valid UTF-8 is kept as it is; control characters are escaped in CNs too.
  EXPECT_EQ(peer_with_cn(peer.common_name).display(), "CN=caf\xc3\xa9\\x09tab");
  const Verdict denied = authorize(peer, policy(&config::PeerPolicy::dns_names, {"web"}));
  EXPECT_TRUE(is_clean_utf8(denied.detail)) << denied.detail;
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

TEST(Authorize, ConsultsTheCommonNameOnlyForCertificatesWithoutSans) {
  const config::PeerPolicy cns = policy(&config::PeerPolicy::common_names, {"orders"});
  EXPECT_TRUE(authorize(peer({}, {}, "orders"), cns).allowed);
  const Verdict by_uri =
      authorize(peer({"spiffe://demo.local/ns/evil/sa/orders"}, {}, "orders"), cns);
  EXPECT_FALSE(by_uri.allowed);
  EXPECT_EQ(by_uri.reason, "identity_denied");
  EXPECT_THAT(by_uri.detail, HasSubstr("the CN counts only for certificates without SANs"));
  EXPECT_FALSE(authorize(peer({}, {"evil.svc"}, "orders"), cns).allowed);
}

TEST(Authorize, RefusesABareTrustDomainIdAsABadCertificateEvenWithAny) {
  const PeerIdentity bare = spiffe_peer("spiffe://demo.local");
  EXPECT_EQ(bare.spiffe_id(), "");
  config::PeerPolicy domains = policy(&config::PeerPolicy::trust_domains, {"demo.local"});
  for (const config::PeerPolicy& policy : {allow_any(), domains}) {
    const Verdict verdict = authorize(bare, policy);
    EXPECT_FALSE(verdict.allowed);
    EXPECT_EQ(verdict.reason, "bad_certificate");
    EXPECT_THAT(verdict.detail, HasSubstr("names a trust domain, not a workload"));
  }
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
