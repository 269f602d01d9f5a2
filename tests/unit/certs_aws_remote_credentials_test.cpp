// The network links of the AWS credential chain and the HTTP client under them, against loopback
// servers speaking each wire format: STS Query protocol over HTTPS (XML), the ECS/EKS container
// endpoint (JSON, Authorization token), IMDSv2 (token PUT, then the role's credentials).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>

#include "certs/aws/beast_http_client.hpp"
#include "certs/aws/remote_credentials.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/sigv4_vectors.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs::aws {
namespace {

using test::FakeHttpServer;
using test::header_value;
using test::reply;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kExpiry = "2026-12-07T16:30:00Z";
constexpr const char* kCredentialsJson =
    R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"s3cr3t/+=","Token":"tok==",)"
    R"("Expiration":"2026-12-07T16:30:00Z","RoleArn":"arn:aws:iam::123456789012:role/web"})";

std::string error_of(std::function<void()> body) {
  try {
    body();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

using test::closed_port;  // a port where nothing listens

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/mtls-aws-token-XXXXXX";
    ::close(::mkstemp(tmpl));
    path_ = tmpl;
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(AwsHttpClient, SendsTheRequestAsGivenAndReturnsAnyStatus) {
  FakeHttpServer server([](const HttpRequest&) { return reply(418, "teapot"); });
  BeastHttpClient client;
  const Url url = parse_url(server.url());
  const HttpResponse r = client.send(
      url,
      {"POST", "/a%20b", "x=1&y=2", {{"Host", url.host_header()}, {"X-Amz-Target", "T"}}, "{}"},
      2s);
  EXPECT_EQ(r.status, 418u);
  EXPECT_EQ(r.body, "teapot");
  ASSERT_EQ(server.requests().size(), 1u);
  const HttpRequest seen = server.requests()[0];
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/a%20b");
  EXPECT_EQ(seen.query, "x=1&y=2");
  EXPECT_EQ(header_value(seen, "X-Amz-Target"), "T");
  EXPECT_EQ(header_value(seen, "Content-Length"), "2");
  EXPECT_EQ(seen.body, "{}");
}

TEST(AwsHttpClient, HttpsVerifiesTheServerAgainstTheGivenBundle) {
  test::TestPki pki;
  const auto files = pki.leaf("sts", "spiffe://test/sts", {"localhost"});
  FakeHttpServer server([](const HttpRequest&) { return reply(200, "ok"); }, files.cert, files.key);
  const Url url = parse_url(server.url());
  const HttpRequest get{"GET", "/", "", {{"Host", url.host_header()}}, ""};
  EXPECT_EQ(BeastHttpClient(pki.ca_bundle()).send(url, get, 5s).body, "ok");

  test::TestPki other = pki.other_ca();
  EXPECT_THAT(error_of([&] { BeastHttpClient(other.ca_bundle()).send(url, get, 5s); }),
              HasSubstr("certificate verify failed"));
  // Right CA, wrong name: the certificate is for localhost, not 127.0.0.1.
  Url by_ip = url;
  by_ip.host = "127.0.0.1";
  EXPECT_THAT(error_of([&] { BeastHttpClient(pki.ca_bundle()).send(by_ip, get, 5s); }),
              HasSubstr("certificate verify failed"));
}

TEST(AwsHttpClient, SilentServerTimesOutAndClosedPortIsRefused) {
  // Listening but never accepting: connect completes in the backlog, the reply never comes.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const Url url = parse_url("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()));
  BeastHttpClient client;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(error_of([&] {
                client.send(url, {"GET", "/", "", {{"Host", "h"}}, ""}, 300ms);
              }),
              HasSubstr("timed out after 300 ms"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  const Url refused = parse_url("http://127.0.0.1:" + std::to_string(closed_port()));
  EXPECT_THAT(error_of([&] {
                client.send(refused, {"GET", "/", "", {{"Host", "h"}}, ""}, 2s);
              }),
              HasSubstr("refused"));
}

TEST(AwsRemoteCredentials, ParsesTheTimestampsAwsSends) {
  EXPECT_EQ(parse_iso8601("1970-01-01T00:01:00Z"), std::chrono::system_clock::from_time_t(60));
  EXPECT_EQ(parse_iso8601("1970-01-01T00:01:00.123Z"), std::chrono::system_clock::from_time_t(60));
  EXPECT_EQ(parse_iso8601("1970-01-01T00:01:00+00:00"), std::chrono::system_clock::from_time_t(60));
  EXPECT_FALSE(parse_iso8601("1970-01-01 00:01:00"));
  EXPECT_FALSE(parse_iso8601("1970-01-01T00:01:00+02:00"));
}

TEST(AwsRemoteCredentials, ContainerEndpointWithTokenFile) {
  FakeHttpServer server([](const HttpRequest&) { return reply(200, kCredentialsJson); });
  TempFile token("pod-identity-token\n");
  BeastHttpClient http;
  ContainerCredentials link(
      fixed_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/v1/credentials"},
                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token.path()},
                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored: the file wins"}}),
      http);
  const auto c = link.load();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "ASIACONTAINER");
  EXPECT_EQ(c->secret_access_key, "s3cr3t/+=");
  EXPECT_EQ(c->session_token, "tok==");
  EXPECT_EQ(c->expiration, parse_iso8601(kExpiry));
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].method, "GET");
  EXPECT_EQ(server.requests()[0].path, "/v1/credentials");
  EXPECT_EQ(header_value(server.requests()[0], "Authorization"), "pod-identity-token");
}

TEST(AwsRemoteCredentials, ContainerEndpointErrorsAndRefusals) {
  FakeHttpServer server([](const HttpRequest&) {
    return reply(401, R"({"code":"AccessDeniedException","message":"bad token"})");
  });
  BeastHttpClient http;
  ContainerCredentials denied(
      fixed_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"},
                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "t"}}),
      http);
  EXPECT_THAT(error_of([&] { denied.load(); }),
              HasSubstr("HTTP 401: {\"code\":\"AccessDeniedException\""));
  // Credentials never go over plain HTTP to an arbitrary host.
  ContainerCredentials remote(
      fixed_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://198.51.100.7/creds"}}),
      http);
  EXPECT_THAT(error_of([&] { remote.load(); }), HasSubstr("plain http is allowed only to"));
  ContainerCredentials lookalike(
      fixed_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1.nip.example/c"}}),
      http);
  EXPECT_THAT(error_of([&] { lookalike.load(); }), HasSubstr("plain http is allowed only to"));
  ContainerCredentials injected(
      fixed_environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url()},
                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "t\r\nX-Evil: 1"}}),
      http);
  EXPECT_THAT(error_of([&] { injected.load(); }), HasSubstr("line break"));
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_FALSE(ContainerCredentials(fixed_environment({}), http).load());
}

constexpr const char* kStsReply =
    R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:default:web</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/web/mtls</Arn>
      <AssumedRoleId>AROAEXAMPLE:mtls</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>FwoGZXIvYXdzEXAMPLE&amp;token</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</SecretAccessKey>
      <Expiration>2026-12-07T16:30:00Z</Expiration>
      <AccessKeyId>ASIASTS</AccessKeyId>
    </Credentials>
    <Provider>arn:aws:iam::123456789012:oidc-provider/oidc.eks.example</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>)";

TEST(AwsRemoteCredentials, WebIdentityCallsStsOverHttps) {
  test::TestPki pki;
  const auto files = pki.leaf("sts", "spiffe://test/sts", {"localhost"});
  FakeHttpServer sts([](const HttpRequest&) { return reply(200, kStsReply); }, files.cert,
                     files.key);
  TempFile token("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3ZWIifQ.sig\n");
  BeastHttpClient http(pki.ca_bundle());
  WebIdentityCredentials link(
      fixed_environment({{"AWS_WEB_IDENTITY_TOKEN_FILE", token.path()},
                         {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web"},
                         {"AWS_ROLE_SESSION_NAME", "mtls session"},
                         {"AWS_REGION", "eu-west-1"},
                         {"AWS_ENDPOINT_URL_STS", sts.url()}}),
      http);
  const auto c = link.load();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "ASIASTS");
  EXPECT_EQ(c->secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  EXPECT_EQ(c->session_token, "FwoGZXIvYXdzEXAMPLE&token");
  EXPECT_EQ(c->expiration, parse_iso8601(kExpiry));
  ASSERT_EQ(sts.requests().size(), 1u);
  const HttpRequest seen = sts.requests()[0];
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/");
  EXPECT_EQ(header_value(seen, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(header_value(seen, "Authorization"), "");  // the call is unsigned
  EXPECT_EQ(
      seen.body,
      "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb"
      "&RoleSessionName=mtls%20session&Version=2011-06-15"
      "&WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3ZWIifQ.sig");
}

TEST(AwsRemoteCredentials, WebIdentityReportsTheStsError) {
  FakeHttpServer sts([](const HttpRequest&) {
    return reply(
        400, R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>)"
             R"(<Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>Token is )"
             R"(expired &amp; rejected</Message></Error><RequestId>r</RequestId></ErrorResponse>)");
  });
  TempFile token("t");
  BeastHttpClient http;
  WebIdentityCredentials link(fixed_environment({{"AWS_WEB_IDENTITY_TOKEN_FILE", token.path()},
                                                 {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
                                                 {"AWS_ENDPOINT_URL", sts.url()}}),
                              http);
  EXPECT_EQ(error_of([&] { link.load(); }),
            "STS AssumeRoleWithWebIdentity (arn:aws:iam::1:role/r): HTTP 400 InvalidIdentityToken: "
            "Token is expired & rejected");
  EXPECT_THAT(error_of([&] {
                WebIdentityCredentials(fixed_environment({{"AWS_ROLE_ARN", "arn"}}), http).load();
              }),
              HasSubstr("AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"));
}

// IMDSv2 as EC2 serves it: the token PUT first, then every GET must carry the token.
HttpResponse imds(const HttpRequest& r) {
  if (r.method == "PUT" && r.path == "/latest/api/token") {
    return header_value(r, "X-aws-ec2-metadata-token-ttl-seconds") == "21600"
               ? reply(200, "IMDSTOKEN")
               : reply(400, "");
  }
  if (header_value(r, "X-aws-ec2-metadata-token") != "IMDSTOKEN") return reply(401, "");
  if (r.method == "GET" && r.path == "/latest/meta-data/iam/security-credentials/") {
    return reply(200, "mtls-role");
  }
  if (r.method == "GET" && r.path == "/latest/meta-data/iam/security-credentials/mtls-role") {
    return reply(200,
                 R"({"Code":"Success","LastUpdated":"2026-12-07T10:30:00Z","Type":"AWS-HMAC",)"
                 R"("AccessKeyId":"ASIAIMDS","SecretAccessKey":"imds-secret","Token":"imds-token",)"
                 R"("Expiration":"2026-12-07T16:30:00Z"})");
  }
  return reply(404, "");
}

TEST(AwsRemoteCredentials, ImdsV2TokenThenRoleThenCredentials) {
  FakeHttpServer server(imds);
  BeastHttpClient http;
  ImdsCredentials link(fixed_environment({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url()}}),
                       http);
  const auto c = link.load();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "ASIAIMDS");
  EXPECT_EQ(c->session_token, "imds-token");
  EXPECT_EQ(c->expiration, parse_iso8601(kExpiry));
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method + " " + seen[0].path, "PUT /latest/api/token");
  EXPECT_EQ(seen[2].path, "/latest/meta-data/iam/security-credentials/mtls-role");
}

TEST(AwsRemoteCredentials, ImdsAbsentDisabledOrRolelessIsSkipped) {
  BeastHttpClient http;
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(closed_port());
  EXPECT_FALSE(
      ImdsCredentials(fixed_environment({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", nowhere}}), http)
          .load());
  FakeHttpServer server(imds);
  EXPECT_FALSE(
      ImdsCredentials(fixed_environment({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url()},
                                         {"AWS_EC2_METADATA_DISABLED", "true"}}),
                      http)
          .load());
  EXPECT_TRUE(server.requests().empty());
  FakeHttpServer roleless(
      [](const HttpRequest& r) { return r.method == "PUT" ? reply(200, "T") : reply(404, ""); });
  EXPECT_FALSE(ImdsCredentials(
                   fixed_environment({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", roleless.url()}}), http)
                   .load());
}

TEST(AwsRemoteCredentials, DefaultChainPrefersLocalLinksThenContainerOverImds) {
  FakeHttpServer container([](const HttpRequest&) { return reply(200, kCredentialsJson); });
  FakeHttpServer instance(imds);
  BeastHttpClient http;
  std::map<std::string, std::string> vars = {
      {"HOME", "/nonexistent"},
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url() + "/creds"},
      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", instance.url()},
      {"AWS_ACCESS_KEY_ID", "AKIAENV"},
      {"AWS_SECRET_ACCESS_KEY", "s"}};
  EXPECT_EQ(default_credential_chain(fixed_environment(vars), http).resolve().access_key_id,
            "AKIAENV");
  vars.erase("AWS_ACCESS_KEY_ID");
  vars.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(default_credential_chain(fixed_environment(vars), http).resolve().access_key_id,
            "ASIACONTAINER");
  vars.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  EXPECT_EQ(default_credential_chain(fixed_environment(vars), http).resolve().access_key_id,
            "ASIAIMDS");
  EXPECT_EQ(container.requests().size(), 1u);
  EXPECT_EQ(instance.requests().size(), 3u);
}

}  // namespace
}  // namespace mtls::certs::aws
