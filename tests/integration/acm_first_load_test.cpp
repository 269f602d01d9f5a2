// identity.source acm end to end, against the local fake ACM (tests/support/fake_acm): a real
// sidecar exports its certificate (SigV4-signed JSON 1.1 over verified HTTPS), decrypts the key
// in memory and serves it to a real mTLS peer authorized by DNS name. Before the first identity
// loads, the process is up and says why it is not ready instead of exiting.
#include <gtest/gtest.h>

#include "certs/aws/environment.hpp"
#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/fake_acm.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

struct HttpReply {
  int status = 0;
  std::string body;
};

HttpReply http_get(std::uint16_t port, const std::string& path) {
  const PlainExchange x = plain_exchange(port, "GET " + path + " HTTP/1.0\r\n\r\n", 5000);
  HttpReply r;
  if (x.reply.size() > 12) r.status = std::stoi(x.reply.substr(9, 3));
  if (auto at = x.reply.find("\r\n\r\n"); at != std::string::npos) r.body = x.reply.substr(at + 4);
  return r;
}

const std::string kPeerDns = "web.acm.test";

TEST(AcmFirstLoad, ServesTheExportedCertificateToAPeerAuthorizedByDnsName) {
  FakeAcm acm;
  TestPki scratch;
  const auto peer = acm_peer(acm, scratch.dir(), "web", kPeerDns);
  Backend backend(Backend::Mode::echo);
  proxy::Sidecar sidecar(
      acm_sidecar_config(acm, backend.port(), kPeerDns),
      {.aws_environment = certs::aws::fixed_environment(acm_environment(acm, scratch.dir()))});
  sidecar.start();
  ASSERT_TRUE(eventually([&] { return http_get(sidecar.admin_port(), "/ready").status == 200; }))
      << http_get(sidecar.admin_port(), "/ready").body;

  const proxy::ProbeResult r = ping({.port = sidecar.port("in"),
                                     .ca_file = acm.issuing_ca_file(),
                                     .cert_file = peer.cert,
                                     .key_file = peer.key});
  EXPECT_TRUE(accepted(r)) << r.error;
  EXPECT_EQ(r.server_serial, acm.serial());
  EXPECT_EQ(acm.calls("ExportCertificate"), 1);
  // A passphrase of the allowed alphabet and length, never sent twice (checked across calls in
  // the renewal test).
  ASSERT_EQ(acm.passphrases().size(), 1u);
  EXPECT_EQ(acm.passphrases()[0].find_first_of("#$%"), std::string::npos);
  EXPECT_GE(acm.passphrases()[0].size(), 4u);
  const std::string metrics = sidecar.metrics().serialize();
  EXPECT_EQ(
      sample(metrics, "mtls_certificate_reloads_total", {{"source", "acm"}, {"result", "success"}}),
      1);
  // A peer outside the allow-list is refused by the same rules as with any source.
  const auto stranger = acm_peer(acm, scratch.dir(), "stranger", "stranger.acm.test");
  EXPECT_FALSE(accepted(ping({.port = sidecar.port("in"),
                              .ca_file = acm.issuing_ca_file(),
                              .cert_file = stranger.cert,
                              .key_file = stranger.key})));
}

TEST(AcmFirstLoad, IsNotReadyWithTheAwsErrorUntilTheFirstExportSucceeds) {
  FakeAcm acm;
  TestPki scratch;
  const auto peer = acm_peer(acm, scratch.dir(), "web", kPeerDns);
  // AWS's message names the role; the sidecar adds the ARN it asked for.
  const std::string denied =
      "User: arn:aws:sts::123456789012:assumed-role/orders/task is not authorized to perform: "
      "acm:ExportCertificate because no identity-based policy allows the acm:ExportCertificate "
      "action";
  acm.fail("ExportCertificate", -1, 400, "AccessDeniedException", denied);
  LogCapture log;
  Backend backend(Backend::Mode::echo);
  proxy::Sidecar sidecar(
      acm_sidecar_config(acm, backend.port(), kPeerDns),
      {.aws_environment = certs::aws::fixed_environment(acm_environment(acm, scratch.dir()))});
  sidecar.start();  // does not throw: the admin server is up and the load is retried

  EXPECT_NE(log.wait_for({"certificate load failed", acm.certificate_arn(), "AccessDeniedException",
                          "is not authorized"}),
            "");
  const HttpReply ready = http_get(sidecar.admin_port(), "/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("AccessDeniedException"), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find(acm.certificate_arn()), std::string::npos) << ready.body;
  EXPECT_EQ(http_get(sidecar.admin_port(), "/healthz").status, 200);
  // Without an identity a connection is closed at once, and counted.
  const proxy::ProbeResult early = ping({.port = sidecar.port("in"),
                                         .ca_file = acm.issuing_ca_file(),
                                         .cert_file = peer.cert,
                                         .key_file = peer.key});
  EXPECT_FALSE(early.handshake_ok);
  const std::string before = sidecar.metrics().serialize();
  EXPECT_GE(
      sample(before, "mtls_certificate_reloads_total", {{"source", "acm"}, {"result", "failure"}}),
      1);
  EXPECT_EQ(sample(before, "mtls_connections_refused_total", {{"reason", "no_identity"}}), 1);

  acm.clear_failures();  // the IAM policy was fixed: the next retry loads
  ASSERT_TRUE(eventually([&] { return http_get(sidecar.admin_port(), "/ready").status == 200; },
                         std::chrono::seconds(10)));
  const proxy::ProbeResult r = ping({.port = sidecar.port("in"),
                                     .ca_file = acm.issuing_ca_file(),
                                     .cert_file = peer.cert,
                                     .key_file = peer.key});
  EXPECT_TRUE(accepted(r)) << r.error;
  EXPECT_EQ(r.server_serial, acm.serial());
}

}  // namespace
}  // namespace mtls::test
