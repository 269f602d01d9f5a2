// The acm identity source against the fake ACM, without a sidecar: what load() and
// remote_changed() call, when they export, and how region and endpoint are resolved.
#include <gtest/gtest.h>

#include <fstream>

#include "certs/acm_source.hpp"
#include "certs/load_error.hpp"
#include "certs/pem.hpp"
#include "certs/tls_contexts.hpp"
#include "certs/x509_fields.hpp"
#include "tests/support/fake_acm.hpp"
#include "tests/support/fake_kms_pca.hpp"

namespace mtls::certs {
namespace {

using aws::fixed_environment;

config::Config acm_config(const test::FakeAcm& acm) {
  return test::acm_sidecar_config(acm, 1, "web.acm.test");
}

TEST(AcmSource, ConstructionCallsNoAws) {
  test::FakeAcm acm;
  test::TestPki home;
  const auto source =
      make_acm_source(acm_config(acm), fixed_environment(test::acm_environment(acm, home.dir())));
  EXPECT_EQ(source->name(), "acm");
  EXPECT_TRUE(acm.requests().empty());
}

// An acm identity with trust.acm_pca_arn: the Private CA's roots join the trust at load, and
// building the source (what check-config does) asks neither service.
TEST(AcmSource, AddsTheRootsOfTrustAcmPcaArnAtLoadOnly) {
  test::TestPki home;
  test::FakeKmsPca pca(home);
  test::FakeAcm::Options options;
  options.region = test::FakeKmsPca::kRegion;
  options.access_key_id = test::FakeKmsPca::kAccessKey;
  options.secret_access_key = test::FakeKmsPca::kSecretKey;
  test::FakeAcm acm(options);
  const test::TestPki::Files private_ca = home.leaf("private-ca", "spiffe://ca.test/ca", {});
  pca.set_ca(read_file(private_ca.cert));

  auto env = test::acm_environment(acm, home.dir());
  env["AWS_ENDPOINT_URL_ACM_PCA"] = pca.url();
  // One AWS_CA_BUNDLE for the two fakes' HTTPS certificates.
  const std::string both = home.dir() + "/aws-ca.pem";
  std::ofstream(both) << read_file(acm.ca_bundle())
                      << read_file(pca.environment().at("AWS_CA_BUNDLE"));
  env["AWS_CA_BUNDLE"] = both;
  config::Config config = acm_config(acm);
  config.trust.acm_pca_arn = pca.ca_arn();

  const auto source = make_acm_source(config, fixed_environment(env));
  EXPECT_TRUE(acm.requests().empty());
  EXPECT_EQ(pca.calls("GetCertificateAuthorityCertificate"), 0);
  const CertificateBundle b = source->load();
  EXPECT_EQ(pca.calls("GetCertificateAuthorityCertificate"), 1);
  ASSERT_EQ(b.trust.size(), 2u);  // ca_bundle's root, then the Private CA's
  EXPECT_EQ(to_pem(b.trust[1].get()), read_file(private_ca.cert));
}

TEST(AcmSource, ExportsOnceAndAgainOnlyAfterARenewal) {
  test::FakeAcm acm;
  test::TestPki home;
  const auto source =
      make_acm_source(acm_config(acm), fixed_environment(test::acm_environment(acm, home.dir())));
  CertificateBundle first = source->load();
  EXPECT_EQ(serial_hex(first.leaf.get()), acm.serial());
  EXPECT_EQ(first.source, "acm");
  EXPECT_EQ(first.chain.size(), 1u);  // CertificateChain: the private CA
  EXPECT_EQ(X509_check_private_key(first.leaf.get(), first.key.get()), 1);
  EXPECT_NO_THROW(validate_bundle(first));
  EXPECT_NO_THROW(make_tls_contexts(std::move(first), {}));

  EXPECT_FALSE(source->remote_changed());
  EXPECT_EQ(serial_hex(source->load().leaf.get()), acm.serial());  // reused, not exported
  EXPECT_EQ(acm.calls("ExportCertificate"), 1);
  EXPECT_EQ(acm.calls("DescribeCertificate"), 1);

  const std::string renewed = acm.renew();
  EXPECT_TRUE(source->remote_changed());
  EXPECT_EQ(serial_hex(source->load().leaf.get()), renewed);
  EXPECT_EQ(acm.calls("ExportCertificate"), 2);
  EXPECT_FALSE(source->remote_changed());
}

TEST(AcmSource, AFailedExportNamesTheArnAndAwsMessageAndKeepsTheIdentity) {
  test::FakeAcm acm;
  test::TestPki home;
  const auto source =
      make_acm_source(acm_config(acm), fixed_environment(test::acm_environment(acm, home.dir())));
  const std::string serial = serial_hex(source->load().leaf.get());
  acm.renew();
  ASSERT_TRUE(source->remote_changed());
  acm.fail("ExportCertificate", -1, 400, "ResourceNotFoundException", "Could not find it");
  try {
    source->load();
    FAIL() << "no error";
  } catch (const LoadError& e) {
    EXPECT_EQ(e.field(), "identity.acm.certificate_arn");
    const std::string what = e.what();
    EXPECT_NE(what.find(acm.certificate_arn()), std::string::npos) << what;
    EXPECT_NE(what.find("ExportCertificate: ResourceNotFoundException: Could not find it"),
              std::string::npos)
        << what;
  }
  acm.clear_failures();
  EXPECT_NE(serial_hex(source->load().leaf.get()), serial);  // the renewal is still wanted
}

TEST(AcmSource, ResolvesRegionFromConfigThenEnvironmentThenTheArn) {
  config::AcmIdentity acm;
  acm.certificate_arn = "arn:aws:acm:eu-central-1:123456789012:certificate/x";
  AcmTarget t = resolve_acm_target(acm, fixed_environment({}));
  EXPECT_EQ(t.region, "eu-central-1");
  EXPECT_EQ(t.endpoint, "https://acm.eu-central-1.amazonaws.com");
  t = resolve_acm_target(acm, fixed_environment({{"AWS_REGION", "us-west-2"}}));
  EXPECT_EQ(t.region, "us-west-2");
  acm.region = "ap-south-1";
  t = resolve_acm_target(acm, fixed_environment({{"AWS_REGION", "us-west-2"},
                                                 {"AWS_ENDPOINT_URL", "https://aws.local:4566"},
                                                 {"AWS_CA_BUNDLE", "/etc/ca.pem"}}));
  EXPECT_EQ(t.region, "ap-south-1");
  EXPECT_EQ(t.endpoint, "https://aws.local:4566");
  EXPECT_EQ(t.ca_bundle, "/etc/ca.pem");
  acm.endpoint = "https://acm.internal:8443";
  EXPECT_EQ(
      resolve_acm_target(acm, fixed_environment({{"AWS_ENDPOINT_URL_ACM", "https://x"}})).endpoint,
      "https://acm.internal:8443");
}

}  // namespace
}  // namespace mtls::certs
