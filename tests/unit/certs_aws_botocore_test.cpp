// Our SigV4 signer against an independent one: botocore's SigV4Auth (Debian python3-botocore, run
// by tests/support/botocore_sign.py) signs the same requests with the same credentials and clock,
// and the Authorization headers must match byte for byte. The requests are the shapes the sidecar
// sends (ACM, ACM-PCA, KMS JSON 1.1; STS Query) and a seeded batch of generated ones whose paths,
// queries and header values exercise encoding, sorting and whitespace folding.

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "certs/aws/sigv4.hpp"

namespace mtls::certs::aws {
namespace {

namespace json = boost::json;

struct Case {
  SigningScope scope;
  HttpRequest request;
};

constexpr const char* kTime = "20261207T103000Z";
const Credentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token="};

std::chrono::system_clock::time_point fixed_time() {
  std::tm tm{};
  strptime(kTime, "%Y%m%dT%H%M%SZ", &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

Case json_call(const std::string& region, const std::string& service, const std::string& host,
               const std::string& target, const std::string& body) {
  return {{region, service},
          {"POST",
           "/",
           "",
           {{"Content-Type", "application/x-amz-json-1.1"},
            {"Host", host},
            {"X-Amz-Target", target},
            {"User-Agent", "mtls-sidecar/0.1"}},  // neither signer signs it
           body}};
}

std::vector<Case> production_shapes() {
  return {
      json_call(
          "us-east-1", "acm", "acm.us-east-1.amazonaws.com", "CertificateManager.ExportCertificate",
          R"({"CertificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/1","Passphrase":"c2VjcmV0LXBhc3M="})"),
      json_call("eu-west-1", "acm", "acm.eu-west-1.amazonaws.com",
                "CertificateManager.DescribeCertificate",
                R"({"CertificateArn":"arn:aws:acm:eu-west-1:123456789012:certificate/2"})"),
      json_call(
          "us-west-2", "acm-pca", "acm-pca.us-west-2.amazonaws.com",
          "ACMPrivateCA.GetCertificateAuthorityCertificate",
          R"({"CertificateAuthorityArn":"arn:aws:acm-pca:us-west-2:123456789012:certificate-authority/3"})"),
      json_call("ap-southeast-2", "kms", "kms.ap-southeast-2.amazonaws.com", "TrentService.Decrypt",
                R"({"CiphertextBlob":"AQIDAHh+/ZmF3Q==","KeyId":"alias/mtls"})"),
      {{"us-east-1", "sts"},
       {"POST",
        "/",
        "",
        {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
         {"Host", "sts.amazonaws.com"}},
        "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb"
        "&RoleSessionName=mtls-sidecar&Version=2011-06-15&WebIdentityToken=eyJhbGciOi.J9.sig"}},
      {{"eu-central-1", "sts"},
       {"GET",
        "/",
        "Version=2011-06-15&Action=GetCallerIdentity",
        {{"Host", "sts.eu-central-1.amazonaws.com"}},
        ""}},
      // A custom endpoint (AWS_ENDPOINT_URL_ACM) with a port and a path prefix to encode twice.
      {{"us-east-1", "acm"},
       {"POST",
        "/prefix/a%20b/./c/../d",
        "",
        {{"Host", "127.0.0.1:4566"}, {"X-Amz-Target", "x"}},
        "{}"}},
  };
}

// Generated requests over alphabets both signers must agree on: valid UTF-8 after decoding, no
// '#' or '?' in paths, header names unique case-insensitively (botocore keeps one per name).
std::vector<Case> generated(unsigned seed, int count) {
  std::mt19937 rng(seed);
  auto pick = [&](std::string_view from) { return from[rng() % from.size()]; };
  auto text = [&](std::string_view alphabet, int max) {
    std::string s;
    for (int n = rng() % max; n > 0; --n) s += pick(alphabet);
    return s;
  };
  const std::string_view path_chars = "abcXYZ019-._~=:@!$'()*,;+& /";
  const std::string_view query_chars = "abcXYZ019-._~:/ *!'(),;@$";
  const std::vector<std::string> encoded = {"%20", "%2F", "%7E", "%E1%88%B4", "%25", "%3D", "%26"};
  std::vector<Case> out;
  for (int i = 0; i < count; ++i) {
    Case c{{"us-east-1", i % 2 ? "kms" : "acm"}, {i % 3 ? "POST" : "GET", "/", "", {}, ""}};
    c.request.path = "/" + text(path_chars, 24);
    if (rng() % 2) c.request.path += encoded[rng() % encoded.size()] + text("abc./", 6);
    for (int p = rng() % 5; p > 0; --p) {
      if (!c.request.query.empty()) c.request.query += '&';
      c.request.query += text("abcAB_", 4) + encoded[rng() % encoded.size()];
      c.request.query += "=" + text(query_chars, 8);
      if (rng() % 2) c.request.query += encoded[rng() % encoded.size()];
    }
    c.request.headers = {
        {"Host", "svc.example.com"},
        {"X-Amz-Meta-" + std::to_string(i), "  a  b\t\tc " + text("xy  z", 10) + " "},
        {"content-TYPE", "application/x-amz-json-1.1"}};
    c.request.body = text("{}\"ab: ,01", 64);
    out.push_back(std::move(c));
  }
  return out;
}

json::value request_json(const Case& c) {
  json::array headers;
  for (const auto& [n, v] : c.request.headers)
    headers.push_back(json::array{json::string(n), json::string(v)});
  std::string host;
  for (const auto& [n, v] : c.request.headers) {
    if (n == "Host") host = v;
  }
  return json::object{{"region", c.scope.region},   {"service", c.scope.service},
                      {"method", c.request.method}, {"host", host},
                      {"path", c.request.path},     {"query", c.request.query},
                      {"headers", headers},         {"body", c.request.body}};
}

// Botocore's Authorization for each case, in order; on a failure, `error` holds its output.
std::vector<std::string> botocore_authorizations(const std::vector<Case>& cases,
                                                 std::string& error) {
  json::array requests;
  for (const auto& c : cases) requests.push_back(request_json(c));
  const json::value spec = json::object{{"access_key", kCredentials.access_key_id},
                                        {"secret_key", kCredentials.secret_access_key},
                                        {"token", kCredentials.session_token},
                                        {"time", kTime},
                                        {"requests", requests}};
  char path[] = "/tmp/mtls-botocore-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return error = "mkstemp failed", std::vector<std::string>{};
  ::close(fd);
  std::ofstream(path) << json::serialize(spec);
  const std::string command = std::string("/usr/bin/python3 ") + MTLS_TESTS_DIR +
                              "/support/botocore_sign.py < " + path + " 2>&1";
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
    if (::pclose(pipe) != 0)
      error =
          "botocore_sign.py failed (needs /usr/bin/python3 and "
          "python3-botocore: scripts/deps.sh):\n" +
          output;
  } else {
    error = "cannot run " + command;
  }
  ::unlink(path);
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  if (error.empty() && lines.size() != cases.size()) error = "unexpected output:\n" + output;
  return lines;
}

void expect_same_as_botocore(const std::vector<Case>& cases) {
  std::string error;
  const auto theirs = botocore_authorizations(cases, error);
  ASSERT_TRUE(error.empty()) << error;
  Signer signer;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    HttpRequest request = cases[i].request;
    const SignedParts ours = signer.sign(request, kCredentials, cases[i].scope, fixed_time());
    EXPECT_EQ(ours.authorization, theirs[i])
        << "request " << i << ": " << cases[i].request.method << " " << cases[i].request.path << "?"
        << cases[i].request.query << "\nour canonical request:\n"
        << ours.canonical_request;
  }
}

TEST(SigV4Botocore, ProductionRequestShapesSignTheSame) {
  expect_same_as_botocore(production_shapes());
}

TEST(SigV4Botocore, GeneratedRequestsSignTheSame) {
  expect_same_as_botocore(generated(20261207, 60));
}

}  // namespace
}  // namespace mtls::certs::aws
