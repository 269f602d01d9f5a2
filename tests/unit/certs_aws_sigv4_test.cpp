// SigV4 against AWS's published test suite and the ACM/ACM-PCA request shapes, byte for byte at
// each step (canonical request, string to sign, Authorization, signed request), plus the rules the
// suite leaves implicit for the services we call (double-encoded paths, token signing, the key
// cache).

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <set>
#include <string>

#include "certs/aws/sigv4.hpp"
#include "tests/support/sigv4_vectors.hpp"

namespace mtls::certs::aws {
namespace {

using test::header_value;
using test::load_sigv4_cases;
using test::parse_sigv4_req;
using test::sigv4_vector_dir;

constexpr const char* kAccessKey = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// The suite's post-sts-header-after adds the session token to .sreq after signing, unsigned. We
// always sign the token (ACM and KMS accept it, botocore does the same), so for such a case the
// canonical request, string to sign and Authorization are checked, but not the .sreq.
const std::set<std::string> kTokenAddedAfterSigning = {"post-sts-header-after"};

std::chrono::system_clock::time_point parse_amz_date(const std::string& text) {
  std::tm tm{};
  if (strptime(text.c_str(), "%Y%m%dT%H%M%SZ", &tm) == nullptr) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// Line 3 of .sts is the credential scope "date/region/service/aws4_request".
SigningScope scope_of(const std::string& sts) {
  std::size_t a = sts.find('\n'), b = sts.find('\n', a + 1), c = sts.find('\n', b + 1);
  std::string scope = sts.substr(b + 1, c - b - 1);
  std::size_t s1 = scope.find('/'), s2 = scope.find('/', s1 + 1), s3 = scope.find('/', s2 + 1);
  return {scope.substr(s1 + 1, s2 - s1 - 1), scope.substr(s2 + 1, s3 - s2 - 1)};
}

// The .req text with what signing added, laid out as the suite's .sreq: added headers after the
// last one, then "Authorization: <value>" (the one line with a space after the colon), then body.
std::string signed_request_text(const std::string& req, const HttpRequest& before,
                                const HttpRequest& after) {
  const std::size_t blank = req.find("\n\n");
  std::string out = req.substr(0, blank);
  for (std::size_t i = before.headers.size(); i < after.headers.size(); ++i) {
    if (after.headers[i].first == "Authorization") continue;
    out += "\n" + after.headers[i].first + ":" + after.headers[i].second;
  }
  out += "\nAuthorization: " + header_value(after, "Authorization");
  if (blank != std::string::npos) out += req.substr(blank);
  return out;
}

void check_vector_dir(const char* env_name, const std::string& fallback) {
  const std::string dir = sigv4_vector_dir(env_name, fallback);
  std::string error;
  const auto cases = load_sigv4_cases(dir, error);
  ASSERT_TRUE(error.empty()) << error << " (" << env_name << ")";
  for (const auto& c : cases) {
    SCOPED_TRACE("case " + c.name + " in " + dir);
    const HttpRequest original = parse_sigv4_req(c.req);
    HttpRequest request = original;
    Credentials credentials{kAccessKey, kSecret, header_value(request, "X-Amz-Security-Token")};
    const auto now = parse_amz_date(header_value(request, "X-Amz-Date"));
    Signer signer;
    const SignedParts parts = signer.sign(request, credentials, scope_of(c.sts), now);
    EXPECT_EQ(parts.canonical_request, c.creq);
    EXPECT_EQ(parts.string_to_sign, c.sts);
    EXPECT_EQ(parts.authorization, c.authz);
    if (!kTokenAddedAfterSigning.count(c.name)) {
      EXPECT_EQ(signed_request_text(c.req, original, request), c.sreq);
    }
  }
}

TEST(SigV4, OfficialAwsSuite) {
  check_vector_dir("MTLS_SIGV4_VECTORS", std::string(MTLS_SHARED_TESTDATA) + "/sigv4");
}

TEST(SigV4, AcmAndAcmPcaRequestShapes) {
  check_vector_dir("MTLS_SIGV4_AWSJSON_VECTORS",
                   std::string(MTLS_SHARED_TESTDATA) + "/sigv4-awsjson");
}

TEST(SigV4, MissingVectorDirectoryIsAnErrorNotAnEmptyPass) {
  std::string error;
  EXPECT_TRUE(load_sigv4_cases("/nonexistent/sigv4", error).empty());
  EXPECT_NE(error.find("/nonexistent/sigv4 is missing"), std::string::npos) << error;
}

TEST(SigV4, PathIsEncodedOnceMoreThanOnTheWire) {
  EXPECT_EQ(canonical_uri("/a%20b/c"), "/a%2520b/c");
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("/a/b/../../.."), "/");
  EXPECT_EQ(canonical_uri("//a//./b/"), "/a/b/");
  EXPECT_EQ(canonical_uri("/a=b:c@d"), "/a%3Db%3Ac%40d");
}

TEST(SigV4, QueryIsDecodedThenStrictlyEncodedAndSorted) {
  // Raw and already-encoded forms of the same query sign the same.
  EXPECT_EQ(canonical_query("b=x y&a=%7E*"), "a=~%2A&b=x%20y");
  EXPECT_EQ(canonical_query("b=x%20y&a=~%2a"), "a=~%2A&b=x%20y");
  EXPECT_EQ(canonical_query("k=2&k=10&flag"), "flag=&k=10&k=2");
  EXPECT_EQ(canonical_query("a=100%&b=%zz+"), "a=100%25&b=%25zz%2B");
  EXPECT_EQ(canonical_query("&&"), "");
}

TEST(SigV4, HeaderValuesAreTrimmedCollapsedAndRepeatsJoined) {
  const CanonicalHeaders h = canonical_headers({{"Host", "h"},
                                                {"X-B", "  a   b\t c  "},
                                                {"x-a", "2"},
                                                {"X-A", "1"},
                                                {"User-Agent", "proxies rewrite this"},
                                                {"Authorization", "old"}});
  EXPECT_EQ(h.block, "host:h\nx-a:2,1\nx-b:a b c\n");
  EXPECT_EQ(h.signed_names, "host;x-a;x-b");
}

HttpRequest acm_request() {
  return {"POST",
          "/",
          "",
          {{"Content-Type", "application/x-amz-json-1.1"},
           {"Host", "acm.eu-west-1.amazonaws.com"},
           {"X-Amz-Target", "CertificateManager.DescribeCertificate"}},
          R"({"CertificateArn":"arn:aws:acm:eu-west-1:1:certificate/x"})"};
}

TEST(SigV4, SessionTokenIsAddedAndSigned) {
  HttpRequest request = acm_request();
  Signer signer;
  const auto parts = signer.sign(request, {kAccessKey, kSecret, "TOKEN"}, {"eu-west-1", "acm"},
                                 parse_amz_date("20261207T101500Z"));
  EXPECT_EQ(header_value(request, "X-Amz-Security-Token"), "TOKEN");
  EXPECT_EQ(header_value(request, "X-Amz-Date"), "20261207T101500Z");
  EXPECT_NE(parts.canonical_request.find("\nx-amz-security-token:TOKEN\n"), std::string::npos);
  EXPECT_NE(parts.authorization.find(
                "Credential=AKIDEXAMPLE/20261207/eu-west-1/acm/aws4_request, SignedHeaders="
                "content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature="),
            std::string::npos)
      << parts.authorization;
}

TEST(SigV4, ResigningReplacesDateAndAuthorization) {
  HttpRequest request = acm_request();
  Signer signer;
  signer.sign(request, {kAccessKey, kSecret}, {"eu-west-1", "acm"},
              parse_amz_date("20261207T101500Z"));
  const auto parts = signer.sign(request, {kAccessKey, kSecret}, {"eu-west-1", "acm"},
                                 parse_amz_date("20261207T101600Z"));
  EXPECT_EQ(request.headers.size(), acm_request().headers.size() + 2);  // X-Amz-Date, Authorization
  EXPECT_EQ(header_value(request, "Authorization"), parts.authorization);
  EXPECT_EQ(header_value(request, "X-Amz-Date"), "20261207T101600Z");
}

TEST(SigV4, RequestWithoutHostOrCredentialsIsRefused) {
  HttpRequest request{"POST", "/", "", {}, ""};
  Signer signer;
  EXPECT_THROW(signer.sign(request, {kAccessKey, kSecret}, {"r", "s"}, {}), std::runtime_error);
  request.headers.emplace_back("Host", "h");
  EXPECT_THROW(signer.sign(request, {}, {"r", "s"}, {}), std::runtime_error);
}

TEST(SigV4, SigningKeyIsDerivedOncePerDayRegionServiceAndSecret) {
  SigningKeyCache cache;
  const Digest a = cache.key(kSecret, "20261207", "us-east-1", "acm");
  EXPECT_EQ(cache.key(kSecret, "20261207", "us-east-1", "acm"), a);
  EXPECT_EQ(cache.derivations(), 1u);
  cache.key(kSecret, "20261207", "us-east-1", "kms");
  cache.key(kSecret, "20261207", "eu-west-1", "acm");
  cache.key("another secret", "20261207", "us-east-1", "acm");
  EXPECT_EQ(cache.derivations(), 4u);
  // The next day derives again, and the previous day's keys are gone.
  EXPECT_NE(cache.key(kSecret, "20261208", "us-east-1", "acm"), a);
  EXPECT_EQ(cache.key(kSecret, "20261207", "us-east-1", "acm"), a);
  EXPECT_EQ(cache.derivations(), 6u);
  EXPECT_EQ(a, derive_signing_key(kSecret, "20261207", "us-east-1", "acm"));
}

// The worked example of AWS's SigV4 documentation ("Derive a signing key"): kSigning for
// 20120215/us-east-1/iam.
TEST(SigV4, SigningKeyMatchesTheDocumentedExample) {
  EXPECT_EQ(to_hex(derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                      "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

}  // namespace
}  // namespace mtls::certs::aws
