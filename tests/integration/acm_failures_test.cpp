// ACM failures: throttling and 5xx are retried with jittered backoff until they pass; an
// AccessDenied while serving keeps the last good identity, is logged with the ARN and AWS's
// message and counted as a failed reload; once allowed again the renewal it hid is picked up.
#include <gtest/gtest.h>

#include "certs/aws/environment.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/fake_acm.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

double reloads(proxy::Sidecar& sidecar, const std::string& result) {
  return sample(sidecar.metrics().serialize(), "mtls_certificate_reloads_total",
                {{"source", "acm"}, {"result", result}});
}

TEST(AcmFailures, ThrottlingAndServerErrorsAreRetriedUntilTheExportSucceeds) {
  FakeAcm acm;
  TestPki scratch;
  // Three answers fail the first load's three attempts (counted once), the next retry passes
  // the fourth and the export after it succeeds.
  acm.fail("ExportCertificate", 3, 400, "ThrottlingException", "Rate exceeded");
  acm.fail("ExportCertificate", 1, 503, "ServiceUnavailableException", "try again");
  Backend backend(Backend::Mode::echo);
  LogCapture log;
  proxy::Sidecar sidecar(
      acm_sidecar_config(acm, backend.port(), "web.acm.test"),
      {.aws_environment = certs::aws::fixed_environment(acm_environment(acm, scratch.dir()))});
  sidecar.start();
  ASSERT_TRUE(eventually([&] { return sidecar.contexts() != nullptr; }, std::chrono::seconds(15)));
  EXPECT_EQ(acm.calls("ExportCertificate"), 1);
  EXPECT_EQ(acm.requests().size(), 5u);
  // The counters are kept by the control thread, which records a load after the workers see
  // the new contexts: wait for the success to be counted, then nothing more may follow.
  EXPECT_TRUE(eventually([&] { return reloads(sidecar, "success") == 1; }));
  EXPECT_EQ(reloads(sidecar, "failure"), 1);
  EXPECT_NE(log.wait_for({"certificate load failed", "ThrottlingException", "Rate exceeded"}), "");
  EXPECT_NE(log.wait_for({"acm: retrying in"}), "");
}

TEST(AcmFailures, AccessDeniedKeepsTheLastGoodIdentityAndCountsTheFailure) {
  FakeAcm acm;
  TestPki scratch;
  const auto peer = acm_peer(acm, scratch.dir(), "web", "web.acm.test");
  Backend backend(Backend::Mode::echo);
  LogCapture log;
  proxy::Sidecar sidecar(
      acm_sidecar_config(acm, backend.port(), "web.acm.test", std::chrono::milliseconds(100)),
      {.aws_environment = certs::aws::fixed_environment(acm_environment(acm, scratch.dir()))});
  sidecar.start();
  ASSERT_TRUE(eventually([&] { return sidecar.contexts() != nullptr; }));
  const proxy::ProbeOptions client{.port = sidecar.port("in"),
                                   .ca_file = acm.issuing_ca_file(),
                                   .cert_file = peer.cert,
                                   .key_file = peer.key};
  const std::string first = acm.serial();

  const std::string denied =
      "User: arn:aws:sts::123456789012:assumed-role/orders/task is not "
      "authorized to perform: acm:DescribeCertificate";
  acm.fail("", -1, 400, "AccessDeniedException", denied);
  acm.renew();  // hidden behind the denial
  EXPECT_NE(log.wait_for({"certificate reload failed, the previous identity keeps serving",
                          acm.certificate_arn(), "AccessDeniedException", denied}),
            "");
  ASSERT_TRUE(eventually([&] { return reloads(sidecar, "failure") >= 1; }));
  const proxy::ProbeResult during = ping(client);
  EXPECT_TRUE(accepted(during)) << during.error;
  EXPECT_EQ(during.server_serial, first);
  std::string why;
  EXPECT_TRUE(sidecar.ready(why)) << why;

  acm.clear_failures();
  proxy::ProbeResult after;
  EXPECT_TRUE(eventually([&] { return (after = ping(client)).server_serial == acm.serial(); },
                         std::chrono::seconds(10)))
      << after.server_serial;
  EXPECT_TRUE(eventually([&] { return reloads(sidecar, "success") == 2; }));
}

}  // namespace
}  // namespace mtls::test
