#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <ctime>

#include "certs/local_ca.hpp"
#include "certs/pem.hpp"
#include "tests/support/certs_test_helpers.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
using test::error_of;
using test::leaf_request;
using test::mode_of;

// Seconds from now to `t` (negative: in the past).
long seconds_from_now(const ASN1_TIME* t) {
  ASN1_TIME* now = ASN1_TIME_set(nullptr, std::time(nullptr));
  int days = 0, seconds = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &seconds, now, t), 1);
  ASN1_TIME_free(now);
  return days * 86400L + seconds;
}

long lifetime_seconds(X509* cert) {
  int days = 0, seconds = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert), X509_get0_notAfter(cert)),
            1);
  return days * 86400L + seconds;
}

bool is_critical(X509* cert, int nid) {
  const int index = X509_get_ext_by_NID(cert, nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

// Every SAN as "URI:..." / "DNS:..." in certificate order, read with OpenSSL's own decoder.
std::vector<std::string> subject_alt_names(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    int type = 0;
    auto* value = static_cast<ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
    const std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                           ASN1_STRING_length(value));
    out.push_back((type == GEN_URI ? "URI:" : type == GEN_DNS ? "DNS:" : "other:") + text);
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string common_name(X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return buf;
}

class LocalCaTest : public ::testing::Test {
 protected:
  test::TestPki pki_;
  const LocalCa& ca() const { return pki_.ca(); }
  std::string ca_dir() const { return pki_.dir() + "/state/ca"; }
};

TEST_F(LocalCaTest, InitWritesAPrivateDirectoryAndKeyAndAReadableCertificate) {
  const mode_t old_umask = ::umask(022);
  LocalCa::init(ca_dir(), "demo.local");
  ::umask(old_umask);
  EXPECT_EQ(mode_of(ca_dir()), 0700u);
  EXPECT_EQ(mode_of(ca_dir() + "/ca.key"), 0600u);
  EXPECT_EQ(mode_of(ca_dir() + "/ca.crt"), 0644u);
}

TEST_F(LocalCaTest, InitRefusesToOverwriteAnExistingCaUnlessForced) {
  const LocalCa first = LocalCa::init(ca_dir(), "demo.local");
  EXPECT_EQ(error_of([&] { LocalCa::init(ca_dir(), "demo.local"); }),
            ca_dir() + "/ca.key: already exists; refusing to overwrite a CA (use force)");
  EXPECT_EQ(X509_cmp(LocalCa::open(ca_dir()).certificate(), first.certificate()), 0);
  const LocalCa second = LocalCa::init(ca_dir(), "demo.local", "", /*force=*/true);
  EXPECT_NE(X509_cmp(second.certificate(), first.certificate()), 0);
}

TEST_F(LocalCaTest, InitRefusesAnInvalidTrustDomain) {
  EXPECT_THAT(error_of([&] { LocalCa::init(ca_dir(), "Demo Local"); }),
              HasSubstr("trust domain \"Demo Local\" is not valid"));
}

TEST_F(LocalCaTest, OpenReadsBackTheCaThatInitWrote) {
  const LocalCa written = LocalCa::init(ca_dir(), "demo.local");
  const LocalCa read = LocalCa::open(ca_dir());
  EXPECT_EQ(X509_cmp(read.certificate(), written.certificate()), 0);
  EXPECT_EQ(EVP_PKEY_eq(read.key(), written.key()), 1);
  EXPECT_EQ(read.dir(), ca_dir());
}

TEST_F(LocalCaTest, EncryptedCaKeyOpensOnlyWithItsPassphrase) {
  const LocalCa written = LocalCa::init(ca_dir(), "demo.local", "ca-pass");
  EXPECT_THAT(read_file(ca_dir() + "/ca.key"), HasSubstr("BEGIN ENCRYPTED PRIVATE KEY"));
  EXPECT_EQ(EVP_PKEY_eq(LocalCa::open(ca_dir(), "ca-pass").key(), written.key()), 1);
  EXPECT_EQ(error_of([&] { LocalCa::open(ca_dir()); }),
            ca_dir() + "/ca.key: cannot decrypt private key (wrong or missing passphrase)");
}

TEST_F(LocalCaTest, OpenRefusesAKeyThatDoesNotMatchTheCertificate) {
  LocalCa::init(ca_dir(), "demo.local");
  write_file(ca_dir() + "/ca.key", to_pem(ca().key()), 0600);
  EXPECT_EQ(error_of([&] { LocalCa::open(ca_dir()); }),
            ca_dir() + "/ca.key: does not match " + ca_dir() + "/ca.crt");
}

TEST_F(LocalCaTest, OpenOfAMissingDirectoryNamesTheFile) {
  EXPECT_THAT(error_of([&] { LocalCa::open(ca_dir()); }), HasSubstr(ca_dir() + "/ca.crt: "));
}

TEST_F(LocalCaTest, RootIsASelfSignedTenYearP256CaLimitedToSigning) {
  const LocalCa ca = LocalCa::init(ca_dir(), "demo.local");
  X509* root = ca.certificate();
  EXPECT_EQ(common_name(root), "demo.local local CA");
  EXPECT_EQ(X509_check_issued(root, root), X509_V_OK);
  EXPECT_EQ(X509_verify(root, X509_get0_pubkey(root)), 1);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(root)), 256);
  EXPECT_EQ(X509_get_signature_nid(root), NID_ecdsa_with_SHA256);
  EXPECT_TRUE(is_critical(root, NID_basic_constraints));
  EXPECT_TRUE(is_critical(root, NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(root), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(X509_get_pathlen(root), 0);
  EXPECT_NE(X509_check_ca(root), 0);
  ASSERT_NE(X509_get0_subject_key_id(root), nullptr);
  ASSERT_NE(X509_get0_authority_key_id(root), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(root), X509_get0_authority_key_id(root)),
            0);
  EXPECT_NEAR(lifetime_seconds(root), 3652L * 86400 + 300, 5);
}

TEST_F(LocalCaTest, IssuedLeafVerifiesAsBothClientAndServer) {
  const IssuedCertificate leaf =
      ca().issue(leaf_request("spiffe://demo.local/ns/default/sa/web", {"web"}));
  EXPECT_EQ(test::verify_error(leaf.cert.get(), ca().certificate(), X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
  EXPECT_EQ(test::verify_error(leaf.cert.get(), ca().certificate(), X509_PURPOSE_SSL_SERVER),
            X509_V_OK);
  EXPECT_EQ(X509_check_private_key(leaf.cert.get(), leaf.key.get()), 1);
  EXPECT_EQ(X509_check_issued(ca().certificate(), leaf.cert.get()), X509_V_OK);
  ASSERT_NE(X509_get0_authority_key_id(leaf.cert.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf.cert.get()),
                                  X509_get0_subject_key_id(ca().certificate())),
            0);
}

TEST_F(LocalCaTest, LeafCarriesExactlyTheRequestedSansUsagesAndConstraints) {
  const IssuedCertificate leaf =
      ca().issue(leaf_request("spiffe://demo.local/ns/default/sa/web", {"web", "web.svc"}));
  X509* cert = leaf.cert.get();
  EXPECT_THAT(subject_alt_names(cert),
              ElementsAre("URI:spiffe://demo.local/ns/default/sa/web", "DNS:web", "DNS:web.svc"));
  EXPECT_EQ(X509_get_extended_key_usage(cert),
            static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  EXPECT_EQ(X509_get_key_usage(cert), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_TRUE(is_critical(cert, NID_key_usage));
  EXPECT_TRUE(is_critical(cert, NID_basic_constraints));
  EXPECT_EQ(X509_check_ca(cert), 0);
  EXPECT_EQ(EVP_PKEY_get_bits(leaf.key.get()), 256);
  EXPECT_TRUE(EVP_PKEY_is_a(leaf.key.get(), "EC"));
}

TEST_F(LocalCaTest, LeafCommonNameIsTheFirstDnsNameAndNeverAPieceOfTheSpiffeId) {
  EXPECT_EQ(common_name(ca().issue(leaf_request("spiffe://t/a/b", {"x", "y"})).cert.get()), "x");
  // A CN "orders" for .../sa/orders would pass a peer's common_names: [orders].
  const IssuedCertificate only_id = ca().issue(leaf_request("spiffe://t/ns/a/sa/orders"));
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(only_id.cert.get())), 0);
  EXPECT_THAT(subject_alt_names(only_id.cert.get()), ElementsAre("URI:spiffe://t/ns/a/sa/orders"));
  EXPECT_TRUE(is_critical(only_id.cert.get(), NID_subject_alt_name));  // RFC 5280: empty subject
  EXPECT_EQ(test::verify_error(only_id.cert.get(), ca().certificate(), X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
}

TEST_F(LocalCaTest, InitConstrainsTheCaToItsTrustDomainAndIssueRefusesOthers) {
  const LocalCa ca = LocalCa::init(ca_dir(), "demo.local");
  EXPECT_EQ(ca.trust_domain(), "demo.local");
  EXPECT_TRUE(is_critical(ca.certificate(), NID_name_constraints));
  const IssuedCertificate own = ca.issue(leaf_request("spiffe://demo.local/ns/a/sa/web", {"web"}));
  EXPECT_EQ(test::verify_error(own.cert.get(), ca.certificate(), X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
  EXPECT_THAT(error_of([&] { ca.issue(leaf_request("spiffe://partner.example/ns/a/sa/web")); }),
              HasSubstr("outside the local CA's trust domain demo.local"));
  // The directory read back knows its domain too (run: identity.source local_ca).
  EXPECT_THAT(error_of([&] {
                LocalCa::open(ca_dir()).issue(leaf_request("spiffe://partner.example/sa/web"));
              }),
              HasSubstr("outside the local CA's trust domain demo.local"));
}

TEST_F(LocalCaTest, NameConstraintMakesAForeignIdFromTheCaKeyFailVerification) {
  // What a stolen ca.key (bypassing issue()) would mint: verifiers refuse it.
  const LocalCa constrained = LocalCa::generate("demo.local local CA", "demo.local");
  const LocalCa unconstrained = LocalCa::generate("x");
  IssuedCertificate foreign = unconstrained.issue(leaf_request("spiffe://partner.example/sa/web"));
  X509* x = foreign.cert.get();
  X509_set_issuer_name(x, X509_get_subject_name(constrained.certificate()));
  X509_EXTENSION_free(X509_delete_ext(x, X509_get_ext_by_NID(x, NID_authority_key_identifier, -1)));
  ASSERT_GT(X509_sign(foreign.cert.get(), constrained.key(), EVP_sha256()), 0);
  EXPECT_EQ(
      test::verify_error(foreign.cert.get(), constrained.certificate(), X509_PURPOSE_SSL_CLIENT),
      X509_V_ERR_PERMITTED_VIOLATION);
}

TEST_F(LocalCaTest, CaWithoutConstraintTakesItsTrustDomainFromTheInitCommonName) {
  EXPECT_EQ(LocalCa::generate("demo.local local CA").trust_domain(), "demo.local");
  EXPECT_EQ(LocalCa::generate("test CA").trust_domain(), "");
}

TEST_F(LocalCaTest, LeafNeverOutlivesTheCa) {
  const IssuedCertificate leaf =
      ca().issue(leaf_request("", {"web"}, std::chrono::hours(24 * 365 * 20)));
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(leaf.cert.get()),
                              X509_get0_notAfter(ca().certificate())),
            0);
}

TEST_F(LocalCaTest, LeafIsUsableForTheTtlFromIssuanceAndBackdatedFiveMinutes) {
  const IssuedCertificate leaf = ca().issue(leaf_request("", {"web"}, 2h));
  EXPECT_EQ(lifetime_seconds(leaf.cert.get()), 7200 + 300);
  EXPECT_NEAR(seconds_from_now(X509_get0_notBefore(leaf.cert.get())), -300, 5);
  EXPECT_NEAR(seconds_from_now(X509_get0_notAfter(leaf.cert.get())), 7200, 5);
}

TEST_F(LocalCaTest, ShiftedLeafIsExpiredOrNotYetValid) {
  const IssuedCertificate expired = ca().issue(leaf_request("", {"old"}, 24h, -48h));
  EXPECT_EQ(test::verify_error(expired.cert.get(), ca().certificate(), X509_PURPOSE_SSL_CLIENT),
            X509_V_ERR_CERT_HAS_EXPIRED);
  const IssuedCertificate future = ca().issue(leaf_request("", {"new"}, 24h, 1h));
  EXPECT_EQ(test::verify_error(future.cert.get(), ca().certificate(), X509_PURPOSE_SSL_CLIENT),
            X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST_F(LocalCaTest, LeafOfAnotherCaDoesNotVerify) {
  const test::TestPki other = pki_.other_ca();
  const IssuedCertificate stranger = other.ca().issue(leaf_request("", {"web"}));
  EXPECT_EQ(test::verify_error(stranger.cert.get(), ca().certificate(), X509_PURPOSE_SSL_CLIENT),
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_F(LocalCaTest, SerialsAreRandomPositiveAndAtMost128Bits) {
  const IssuedCertificate a = ca().issue(leaf_request("", {"a"}));
  const IssuedCertificate b = ca().issue(leaf_request("", {"a"}));
  const ASN1_INTEGER* sa = X509_get0_serialNumber(a.cert.get());
  EXPECT_NE(ASN1_INTEGER_cmp(sa, X509_get0_serialNumber(b.cert.get())), 0);
  BIGNUM* bn = ASN1_INTEGER_to_BN(sa, nullptr);
  EXPECT_FALSE(BN_is_negative(bn));
  EXPECT_LE(BN_num_bits(bn), 128);
  EXPECT_GT(BN_num_bits(bn), 64);  // fails once in 2^64 runs
  BN_free(bn);
}

TEST_F(LocalCaTest, IssueRefusesRequestsWithoutAValidIdentityOrLifetime) {
  EXPECT_THAT(error_of([&] { ca().issue(leaf_request("")); }), HasSubstr("needs a spiffe_id or"));
  EXPECT_THAT(error_of([&] { ca().issue(leaf_request("https://x/y")); }),
              HasSubstr("is not a workload SPIFFE ID"));
  // A bare trust domain names the domain's bundle, never a workload.
  EXPECT_THAT(error_of([&] { ca().issue(leaf_request("spiffe://demo.local")); }),
              HasSubstr("is not a workload SPIFFE ID"));
  EXPECT_THAT(error_of([&] { ca().issue(leaf_request("", {"a,DNS:evil"})); }),
              HasSubstr("is not a DNS name"));
  EXPECT_THAT(error_of([&] { ca().issue(leaf_request("", {"a"}, 0s)); }),
              HasSubstr("ttl must be positive"));
}

TEST_F(LocalCaTest, WriteIssuedStoresLeafThenCaAndAPrivateKey) {
  const IssuedCertificate leaf = ca().issue(leaf_request("spiffe://t/web"));
  const std::string out = pki_.dir() + "/out";
  write_issued(out, leaf, ca().certificate(), "key-pass");
  EXPECT_EQ(mode_of(out + "/tls.key"), 0600u);
  const std::vector<X509Ptr> chain = load_certificates(out + "/tls.crt");
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(X509_cmp(chain[0].get(), leaf.cert.get()), 0);
  EXPECT_EQ(X509_cmp(chain[1].get(), ca().certificate()), 0);
  EXPECT_EQ(EVP_PKEY_eq(load_private_key(out + "/tls.key", "key-pass").get(), leaf.key.get()), 1);
}

}  // namespace
}  // namespace mtls::certs
