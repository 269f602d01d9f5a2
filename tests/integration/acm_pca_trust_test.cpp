// trust.acm_pca_arn: the roots of an ACM Private CA (GetCertificateAuthorityCertificate, from the
// loopback fake that checks every signature) are trusted for peers, alone or beside ca_bundle;
// a new CA certificate is picked up by the periodic refresh without a restart, and the peers of
// the old one are refused from then on.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/fake_kms_pca.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

using ::testing::HasSubstr;

struct AcmPcaTrust : ::testing::Test {
  TestPki pki;
  TestPki aws_pki{"fake AWS CA"};
  FakeKmsPca fake{aws_pki};
  Backend backend{Backend::Mode::echo};
  const TestPki::Files identity = pki.leaf("backend", kBackendId, {"backend.local"});

  std::unique_ptr<proxy::Sidecar> sidecar(bool with_ca_bundle, config::Duration refresh) {
    config::Config c = base_config(pki, identity);
    if (!with_ca_bundle) c.trust.ca_bundle.clear();
    c.trust.acm_pca_arn = fake.ca_arn();
    c.trust.acm_pca_refresh_interval = refresh;
    c.inbound.push_back(inbound_listener(backend.port()));
    proxy::SidecarOptions options;
    options.admin = false;
    options.aws_environment = certs::aws::fixed_environment(fake.environment());
    return std::make_unique<proxy::Sidecar>(std::move(c), options);
  }

  bool accepts(proxy::Sidecar& s, const TestPki::Files& client) {
    return accepted(ping({.port = s.port("in"),
                          .ca_file = pki.ca_bundle(),
                          .cert_file = client.cert,
                          .key_file = client.key}));
  }
};

TEST_F(AcmPcaTrust, PeersOfThePrivateCaAreAcceptedAndOthersRefused) {
  fake.set_ca(certs::to_pem(pki.ca().certificate()));  // the Private CA issued our identity too
  auto s = sidecar(false, std::chrono::hours(1));
  s->start();
  EXPECT_TRUE(accepts(*s, pki.leaf("frontend", kFrontendId, {})));
  TestPki stranger = pki.other_ca("stranger CA");
  EXPECT_FALSE(accepts(*s, stranger.leaf("frontend", kFrontendId, {})));
  EXPECT_EQ(fake.calls("GetCertificateAuthorityCertificate"), 1);
}

TEST_F(AcmPcaTrust, ANewCaCertificateIsPickedUpByTheRefreshAndTheOldOnesPeersAreRefused) {
  TestPki old_ca = pki.other_ca("private CA 1");
  TestPki new_ca = pki.other_ca("private CA 2");
  const TestPki::Files old_peer = old_ca.leaf("frontend", kFrontendId, {});
  const TestPki::Files new_peer = new_ca.leaf("frontend", kFrontendId, {});
  fake.set_ca(certs::to_pem(old_ca.ca().certificate()));
  auto s = sidecar(true, std::chrono::milliseconds(200));
  s->start();
  EXPECT_TRUE(accepts(*s, old_peer));
  EXPECT_FALSE(accepts(*s, new_peer));
  EXPECT_TRUE(accepts(*s, pki.leaf("ours", kFrontendId, {}))) << "ca_bundle's roots stay trusted";

  fake.set_ca(certs::to_pem(new_ca.ca().certificate()));
  EXPECT_TRUE(eventually([&] { return accepts(*s, new_peer); }, std::chrono::seconds(5)));
  EXPECT_FALSE(accepts(*s, old_peer));
}

TEST_F(AcmPcaTrust, ARefusedRefreshKeepsTheTrustAndIsCounted) {
  TestPki private_ca = pki.other_ca("private CA");
  fake.set_ca(certs::to_pem(private_ca.ca().certificate()));
  auto s = sidecar(true, std::chrono::milliseconds(200));
  s->start();
  fake.deny("GetCertificateAuthorityCertificate");
  EXPECT_TRUE(eventually([&] {
    return sample(s->metrics().serialize(), "mtls_certificate_reloads_total",
                  {{"result", "failure"}}) >= 1;
  }));
  const certs::ReloadResult r = s->reload();
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.reason, HasSubstr("trust.acm_pca_arn: ACM-PCA GetCertificateAuthorityCertificate " +
                                  fake.ca_arn() + ": AccessDeniedException"));
  EXPECT_TRUE(accepts(*s, private_ca.leaf("frontend", kFrontendId, {})));
}

TEST_F(AcmPcaTrust, AnUnreachableCaAtStartUpServesNothing) {
  auto s = sidecar(false, std::chrono::hours(1));  // set_ca never called: ResourceNotFound
  try {
    s->start();
    ADD_FAILURE() << "started";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(),
                HasSubstr("trust.acm_pca_arn: ACM-PCA GetCertificateAuthorityCertificate " +
                          fake.ca_arn() + ": ResourceNotFoundException"));
  }
  EXPECT_EQ(s->contexts(), nullptr);
}

}  // namespace
}  // namespace mtls::test
