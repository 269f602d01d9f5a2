// The AWS JSON 1.1 client and the ACM calls over a scripted HttpClient: the request shape
// (target, content type, signed headers, base64 passphrase), AWS's error shape, which errors are
// retried and how often, and the passphrases made for ExportCertificate.
#include <gtest/gtest.h>

#include <deque>
#include <set>

#include "certs/aws/acm_client.hpp"
#include "tests/support/sigv4_vectors.hpp"

namespace mtls::certs::aws {
namespace {

class ScriptedHttp : public HttpClient {
 public:
  std::deque<HttpResponse> replies;
  std::vector<HttpRequest> sent;
  HttpResponse send(const Url&, const HttpRequest& request, std::chrono::milliseconds) override {
    sent.push_back(request);
    if (replies.empty()) throw HttpError("no reply scripted");
    HttpResponse r = std::move(replies.front());
    replies.pop_front();
    if (r.status == 0) throw HttpError("connection refused");
    return r;
  }
};

class CountingLink : public CredentialsProvider {
 public:
  int* loads;
  explicit CountingLink(int* n) : loads(n) {}
  std::optional<Credentials> load() override {
    ++*loads;
    return Credentials{"AKID" + std::to_string(*loads), "secret", "", std::nullopt, "test"};
  }
  std::string name() const override { return "test"; }
};

struct Rig {
  int loads = 0;
  ScriptedHttp http;
  CachedCredentials credentials{[this] {
    std::vector<std::unique_ptr<CredentialsProvider>> links;
    links.push_back(std::make_unique<CountingLink>(&loads));
    return CredentialChain(std::move(links));
  }()};
  JsonServiceClient json{kAcm,
                         "CertificateManager",
                         parse_url("https://acm.eu-west-1.amazonaws.com"),
                         "eu-west-1",
                         credentials,
                         http,
                         RetryPolicy{3, std::chrono::milliseconds(1), std::chrono::milliseconds(2),
                                     std::chrono::milliseconds(1000)}};
  AcmClient acm{json};
};

HttpResponse error(unsigned status, const std::string& type, const std::string& message) {
  return {status, {}, R"({"__type":")" + type + R"(","message":")" + message + R"("})"};
}

const std::string kArn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc";

TEST(AcmClient, SendsASignedJson11RequestWithTheBase64Passphrase) {
  Rig rig;
  rig.http.replies.push_back(
      {200, {}, R"({"Certificate":"C","CertificateChain":"CH","PrivateKey":"K"})"});
  const AcmExport e = rig.acm.export_certificate(kArn, "pass-word");
  EXPECT_EQ(e.certificate, "C");
  EXPECT_EQ(e.certificate_chain, "CH");
  EXPECT_EQ(e.private_key, "K");
  const HttpRequest& r = rig.http.sent.at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(test::header_value(r, "X-Amz-Target"), "CertificateManager.ExportCertificate");
  EXPECT_EQ(test::header_value(r, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(test::header_value(r, "Host"), "acm.eu-west-1.amazonaws.com");
  EXPECT_NE(test::header_value(r, "Authorization").find("Credential=AKID1/"), std::string::npos);
  EXPECT_NE(test::header_value(r, "Authorization").find("/eu-west-1/acm/aws4_request"),
            std::string::npos);
  EXPECT_EQ(r.body, R"({"CertificateArn":")" + kArn + R"(","Passphrase":"cGFzcy13b3Jk"})");
}

TEST(AcmClient, ReadsSerialAndNotAfterFromDescribeCertificate) {
  Rig rig;
  rig.http.replies.push_back(
      {200, {}, R"({"Certificate":{"Serial":"0a:1b","NotAfter":1.8E9,"Status":"ISSUED"}})"});
  const AcmCertificateInfo info = rig.acm.describe_certificate(kArn);
  EXPECT_EQ(info.serial, "0a:1b");
  EXPECT_EQ(info.not_after, std::time_t(1800000000));
  EXPECT_EQ(info.status, "ISSUED");
}

TEST(AcmClient, RetriesThrottlingAndServerErrorsUpToTheBound) {
  Rig rig;
  rig.http.replies = {error(400, "ThrottlingException", "Rate exceeded"),
                      error(500, "InternalFailure", "oops"),
                      {200, {}, R"({"Certificate":{"Serial":"01"}})"}};
  EXPECT_EQ(rig.acm.describe_certificate(kArn).serial, "01");
  EXPECT_EQ(rig.http.sent.size(), 3u);

  Rig exhausted;
  exhausted.http.replies = {{0, {}, ""},
                            error(503, "ServiceUnavailable", "a"),
                            error(400, "com.amazon.coral#ThrottlingException", "Rate exceeded"),
                            {200, {}, "{}"}};
  try {
    exhausted.acm.describe_certificate(kArn);
    FAIL() << "no error";
  } catch (const AwsCallError& e) {
    EXPECT_EQ(e.code(), "ThrottlingException");  // the namespace before '#' is dropped
    EXPECT_EQ(std::string(e.what()), "DescribeCertificate: ThrottlingException: Rate exceeded");
  }
  EXPECT_EQ(exhausted.http.sent.size(), 3u);
}

TEST(AcmClient, DoesNotRetryAccessDeniedAndKeepsAwsMessage) {
  Rig rig;
  rig.http.replies = {{400, {}, R"({"__type":"AccessDeniedException","Message":"no policy"})"}};
  try {
    rig.acm.describe_certificate(kArn);
    FAIL() << "no error";
  } catch (const AwsCallError& e) {
    EXPECT_EQ(e.code(), "AccessDeniedException");
    EXPECT_EQ(e.message(), "no policy");
    EXPECT_EQ(e.status(), 400u);
  }
  EXPECT_EQ(rig.http.sent.size(), 1u);
}

TEST(AcmClient, ResolvesCredentialsAgainOnceWhenTheTokenExpired) {
  Rig rig;
  rig.http.replies = {error(400, "ExpiredTokenException", "expired"),
                      {200, {}, R"({"Certificate":{"Serial":"01"}})"}};
  EXPECT_EQ(rig.acm.describe_certificate(kArn).serial, "01");
  EXPECT_EQ(rig.loads, 2);
  EXPECT_NE(test::header_value(rig.http.sent.at(1), "Authorization").find("Credential=AKID2/"),
            std::string::npos);
}

TEST(AcmClient, MakesAFreshPassphraseOfTheAllowedAlphabetEachTime) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string p = random_export_passphrase();
    EXPECT_EQ(p.size(), 32u);
    EXPECT_EQ(p.find_first_of("#$%"), std::string::npos);
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(random_export_passphrase(4).size(), 4u);
  EXPECT_EQ(random_export_passphrase(128).size(), 128u);
  EXPECT_THROW(random_export_passphrase(3), std::invalid_argument);
  EXPECT_THROW(random_export_passphrase(129), std::invalid_argument);
}

}  // namespace
}  // namespace mtls::certs::aws
