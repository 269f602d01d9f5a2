// An ACM renewal (new serial) is picked up by polling DescribeCertificate every refresh_interval:
// new connections get the new certificate, a connection opened before keeps working, and the
// certificate is exported again only when it changed (each time with a fresh passphrase).
#include <gtest/gtest.h>

#include <set>

#include "certs/aws/environment.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/fake_acm.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

TEST(AcmRenewal, PicksUpANewSerialWithoutDroppingALiveConnectionAndExportsOnlyOnChange) {
  FakeAcm acm;
  TestPki scratch;
  const auto peer = acm_peer(acm, scratch.dir(), "web", "web.acm.test");
  Backend backend(Backend::Mode::echo);
  proxy::Sidecar sidecar(
      acm_sidecar_config(acm, backend.port(), "web.acm.test", std::chrono::milliseconds(100)),
      {.aws_environment = certs::aws::fixed_environment(acm_environment(acm, scratch.dir()))});
  sidecar.start();
  const proxy::ProbeOptions client{.port = sidecar.port("in"),
                                   .ca_file = acm.issuing_ca_file(),
                                   .cert_file = peer.cert,
                                   .key_file = peer.key};
  ASSERT_TRUE(eventually([&] { return sidecar.contexts() != nullptr; }));
  const std::string first = acm.serial();
  ASSERT_EQ(ping(client).server_serial, first);

  // Unchanged: DescribeCertificate is asked again and again, ExportCertificate is not.
  ASSERT_TRUE(eventually([&] { return acm.calls("DescribeCertificate") >= 3; }));
  EXPECT_EQ(acm.calls("ExportCertificate"), 1);

  proxy::ProbeConnection live(client);
  ASSERT_TRUE(live.handshake_ok());
  ASSERT_TRUE(live.echo("before the renewal"));
  const std::string second = acm.renew();
  ASSERT_NE(second, first);
  proxy::ProbeResult r;
  EXPECT_TRUE(eventually([&] { return (r = ping(client)).server_serial == second; }))
      << r.server_serial << " " << r.error;
  EXPECT_TRUE(accepted(r)) << r.error;
  EXPECT_TRUE(live.echo("after the renewal"));  // the old connection keeps its context

  EXPECT_EQ(acm.calls("ExportCertificate"), 2);
  const std::vector<std::string> passphrases = acm.passphrases();
  EXPECT_EQ(std::set<std::string>(passphrases.begin(), passphrases.end()).size(), 2u);
  EXPECT_EQ(sample(sidecar.metrics().serialize(), "mtls_certificate_reloads_total",
                   {{"source", "acm"}, {"result", "success"}}),
            2);
}

}  // namespace
}  // namespace mtls::test
