// The fake AWS services' signature check (tests/support/sigv4_verifier), and with it the whole
// signed exchange: our Signer and BeastHttpClient against a loopback JSON 1.1 endpoint that
// answers InvalidSignatureException, as AWS does, to a request whose signature does not hold.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>

#include "certs/aws/beast_http_client.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/sigv4_vectors.hpp"
#include "tests/support/sigv4_verifier.hpp"

namespace mtls::certs::aws {
namespace {

using test::header_value;
using test::reply;
using test::sigv4_problem;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

const test::SigV4Expectation kAcmKeys{
    {{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}}, "eu-west-1", "acm"};
const Credentials kGood{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "SESSION"};

// Every signed request of both vector sets verifies (including post-sts-header-after, whose token
// is unsigned: the server ignores headers the signature does not name).
TEST(SigV4Verifier, AcceptsEverySignedRequestOfTheVectors) {
  for (const std::string set : {"/sigv4", "/sigv4-awsjson"}) {
    std::string error;
    const auto cases = test::load_sigv4_cases(std::string(MTLS_SHARED_TESTDATA) + set, error);
    ASSERT_TRUE(error.empty()) << error;
    for (const auto& c : cases) {
      const HttpRequest signed_request = test::parse_sigv4_req(c.sreq);
      const std::string scope = c.sts.substr(c.sts.find("/") + 1);  // region/service/aws4_request
      const std::string region = scope.substr(0, scope.find('/'));
      const std::string service =
          scope.substr(region.size() + 1, scope.find('/', region.size() + 1) - region.size() - 1);
      EXPECT_EQ(sigv4_problem(signed_request, {kAcmKeys.secrets, region, service}), "") << c.name;
    }
  }
}

// A JSON 1.1 endpoint that checks the signature first, then answers.
test::FakeHttpServer acm_endpoint() {
  return test::FakeHttpServer([](const HttpRequest& r) {
    if (const std::string problem = sigv4_problem(r, kAcmKeys); !problem.empty()) {
      return reply(400, R"({"__type":"InvalidSignatureException","message":"The request signature )"
                        R"(we calculated does not match the signature you provided."})");
    }
    return reply(200, R"({"Certificate":{"Serial":"01"}})");
  });
}

HttpRequest describe(const Url& url) {
  return {"POST",
          "/",
          "",
          {{"Host", url.host_header()},
           {"Content-Type", "application/x-amz-json-1.1"},
           {"X-Amz-Target", "CertificateManager.DescribeCertificate"}},
          R"({"CertificateArn":"arn:aws:acm:eu-west-1:123456789012:certificate/1"})"};
}

TEST(SigV4Verifier, SignedExchangeOverLoopbackIsAccepted) {
  auto server = acm_endpoint();
  const Url url = parse_url(server.url());
  HttpRequest request = describe(url);
  Signer signer;
  signer.sign(request, kGood, {"eu-west-1", "acm"}, std::chrono::system_clock::now());
  request.headers.emplace_back("User-Agent", "added after signing, not signed");
  const HttpResponse r = BeastHttpClient().send(url, request, 5s);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(header_value(server.requests().at(0), "X-Amz-Security-Token"), "SESSION");
}

TEST(SigV4Verifier, TamperedOrMisScopedRequestsAreRejected) {
  auto server = acm_endpoint();
  const Url url = parse_url(server.url());
  Signer signer;
  const auto now = std::chrono::system_clock::now();
  BeastHttpClient client;
  auto status_of = [&](const HttpRequest& r) { return client.send(url, r, 5s).status; };

  HttpRequest body = describe(url);
  signer.sign(body, kGood, {"eu-west-1", "acm"}, now);
  body.body += " ";
  EXPECT_EQ(status_of(body), 400u);

  HttpRequest target = describe(url);
  signer.sign(target, kGood, {"eu-west-1", "acm"}, now);
  target.headers[2].second = "CertificateManager.ExportCertificate";
  EXPECT_EQ(status_of(target), 400u);

  HttpRequest secret = describe(url);
  signer.sign(secret, {"AKIDEXAMPLE", "not the secret"}, {"eu-west-1", "acm"}, now);
  EXPECT_EQ(status_of(secret), 400u);

  HttpRequest region = describe(url);
  signer.sign(region, kGood, {"us-east-1", "acm"}, now);
  EXPECT_THAT(sigv4_problem(region, kAcmKeys),
              HasSubstr("scope us-east-1/acm, expected eu-west-1/acm"));
  EXPECT_EQ(status_of(region), 400u);

  EXPECT_EQ(sigv4_problem(describe(url), kAcmKeys), "no AWS4-HMAC-SHA256 Authorization");
}

}  // namespace
}  // namespace mtls::certs::aws
