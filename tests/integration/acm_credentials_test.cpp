// The acm source signs with credentials from each link of the chain, end to end: the fake ACM
// checks every signature against the one key it knows (and the session token, when temporary),
// so an identity is served only if that key travelled through the link under test.
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>

#include "certs/aws/environment.hpp"
#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/fake_acm.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"
#include "tests/support/sigv4_vectors.hpp"

namespace mtls::test {
namespace {

using certs::aws::HttpRequest;

std::string in_an_hour() {
  const std::time_t t = std::time(nullptr) + 3600;
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return text;
}

FakeAcm::Options temporary_keys() {
  FakeAcm::Options o;
  o.access_key_id = "ASIATEMPORARY0000001";
  o.secret_access_key = "temporary/secret/for/the/fake/acm/000000";
  o.session_token = "FwoGZXIvYXdzEXAMPLEsessiontoken==";
  return o;
}

// Starts a sidecar with `env` and waits for its identity; "" when it was served, else why not.
std::string serves_identity(FakeAcm& acm, const std::map<std::string, std::string>& env) {
  TestPki scratch;
  Backend backend(Backend::Mode::echo);
  const auto peer = acm_peer(acm, scratch.dir(), "web", "web.acm.test");
  proxy::Sidecar sidecar(acm_sidecar_config(acm, backend.port(), "web.acm.test"),
                         {.aws_environment = certs::aws::fixed_environment(env)});
  sidecar.start();
  std::string why;
  if (!eventually([&] { return sidecar.ready(why); })) return why;
  const proxy::ProbeResult r = ping({.port = sidecar.port("in"),
                                     .ca_file = acm.issuing_ca_file(),
                                     .cert_file = peer.cert,
                                     .key_file = peer.key});
  if (!accepted(r)) return "peer refused: " + r.error;
  return r.server_serial == acm.serial() ? "" : "served another serial";
}

TEST(AcmCredentials, FromTheEnvironmentWithASessionToken) {
  FakeAcm acm(temporary_keys());
  TestPki home;
  EXPECT_EQ(serves_identity(acm, acm_environment(acm, home.dir())), "");
  EXPECT_EQ(header_value(acm.requests().at(0), "X-Amz-Security-Token"),
            acm.options().session_token);
}

TEST(AcmCredentials, FromANamedProfileInTheSharedCredentialsFile) {
  FakeAcm acm;
  TestPki home;
  std::filesystem::create_directories(home.dir() + "/.aws");
  certs::write_file(home.dir() + "/.aws/credentials",
                    "[default]\naws_access_key_id = AKIDNOTTHISONE\naws_secret_access_key = x\n"
                    "[acm-reader]\naws_access_key_id = " +
                        acm.options().access_key_id +
                        "\naws_secret_access_key = " + acm.options().secret_access_key + "\n",
                    0600);
  auto env = acm_environment(acm, home.dir(), false);
  env["AWS_PROFILE"] = "acm-reader";
  EXPECT_EQ(serves_identity(acm, env), "");

  // The control: the default profile's keys are refused by the fake's signature check.
  FakeAcm other;
  env = acm_environment(other, home.dir(), false);
  const std::string why = serves_identity(other, env);
  EXPECT_NE(why.find("InvalidSignatureException"), std::string::npos) << why;
}

TEST(AcmCredentials, FromTheContainerEndpointWithItsAuthorizationToken) {
  FakeAcm acm(temporary_keys());
  TestPki home;
  const std::string body = R"({"AccessKeyId":")" + acm.options().access_key_id +
                           R"(","SecretAccessKey":")" + acm.options().secret_access_key +
                           R"(","Token":")" + acm.options().session_token + R"(","Expiration":")" +
                           in_an_hour() + R"("})";
  // As the ECS agent and the EKS Pod Identity agent do: no token, no credentials.
  FakeHttpServer agent([&](const HttpRequest& r) {
    return header_value(r, "Authorization") == "pod-identity-token"
               ? reply(200, body)
               : reply(401, R"({"Message":"unauthorized"})");
  });
  certs::write_file(home.dir() + "/token", "pod-identity-token\n", 0600);
  auto env = acm_environment(acm, home.dir(), false);
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = agent.url() + "/v1/credentials";
  env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = home.dir() + "/token";
  EXPECT_EQ(serves_identity(acm, env), "");
  EXPECT_EQ(agent.requests().at(0).path, "/v1/credentials");
}

TEST(AcmCredentials, FromWebIdentityThroughSts) {
  FakeAcm acm(temporary_keys());
  TestPki home;
  const std::string sts_reply =
      "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
      "<SessionToken>" +
      acm.options().session_token + "</SessionToken><SecretAccessKey>" +
      acm.options().secret_access_key + "</SecretAccessKey><Expiration>" + in_an_hour() +
      "</Expiration><AccessKeyId>" + acm.options().access_key_id +
      "</AccessKeyId></Credentials></AssumeRoleWithWebIdentityResult>"
      "</AssumeRoleWithWebIdentityResponse>";
  FakeHttpServer sts([&](const HttpRequest& r) {
    return r.body.find("WebIdentityToken=eyJ.projected.token") != std::string::npos
               ? reply(200, sts_reply)
               : reply(400, "<Error><Code>InvalidIdentityToken</Code></Error>");
  });
  certs::write_file(home.dir() + "/token", "eyJ.projected.token\n", 0600);
  auto env = acm_environment(acm, home.dir(), false);
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = home.dir() + "/token";
  env["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/orders";
  env["AWS_ENDPOINT_URL_STS"] = sts.url();
  EXPECT_EQ(serves_identity(acm, env), "");
  EXPECT_NE(sts.requests().at(0).body.find("Action=AssumeRoleWithWebIdentity"), std::string::npos);
}

// EC2: the last link. IMDSv2 only: a session token from PUT /latest/api/token, sent with every
// GET; the fake instance metadata service answers nothing without it (as IMDSv2-required does).
TEST(AcmCredentials, FromTheInstanceMetadataServiceWithAnImdsV2Token) {
  FakeAcm acm(temporary_keys());
  TestPki home;
  const std::string creds =
      R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":")" + acm.options().access_key_id +
      R"(","SecretAccessKey":")" + acm.options().secret_access_key + R"(","Token":")" +
      acm.options().session_token + R"(","Expiration":")" + in_an_hour() + R"("})";
  const std::string kToken = "AQAEAImdsSessionToken==";
  FakeHttpServer imds([&](const HttpRequest& r) {
    if (r.method == "PUT" && r.path == "/latest/api/token")
      return header_value(r, "X-aws-ec2-metadata-token-ttl-seconds").empty() ? reply(400, "")
                                                                             : reply(200, kToken);
    if (header_value(r, "X-aws-ec2-metadata-token") != kToken) return reply(401, "");
    if (r.path == "/latest/meta-data/iam/security-credentials/") return reply(200, "orders-task\n");
    if (r.path == "/latest/meta-data/iam/security-credentials/orders-task")
      return reply(200, creds);
    return reply(404, "");
  });
  auto env = acm_environment(acm, home.dir(), false);
  env.erase("AWS_EC2_METADATA_DISABLED");
  env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.url();
  EXPECT_EQ(serves_identity(acm, env), "");
  ASSERT_GE(imds.requests().size(), 3u);
  EXPECT_EQ(imds.requests().at(0).method, "PUT");
  EXPECT_EQ(imds.requests().at(2).path, "/latest/meta-data/iam/security-credentials/orders-task");
  EXPECT_EQ(header_value(acm.requests().at(0), "X-Amz-Security-Token"),
            acm.options().session_token);

  // The control: an instance without a role gives no credentials, and the source says which
  // links it tried instead of serving anything.
  FakeAcm other(temporary_keys());
  FakeHttpServer no_role([&](const HttpRequest& r) {
    return r.method == "PUT" ? reply(200, kToken) : reply(404, "");
  });
  env = acm_environment(other, home.dir(), false);
  env.erase("AWS_EC2_METADATA_DISABLED");
  env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = no_role.url();
  EXPECT_NE(serves_identity(other, env), "");
  EXPECT_EQ(other.calls("ExportCertificate"), 0);
}

}  // namespace
}  // namespace mtls::test
