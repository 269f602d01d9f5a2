#include "tests/support/sigv4_verifier.hpp"

#include <openssl/crypto.h>
#include <strings.h>

#include <cctype>
#include <sstream>

#include "tests/support/sigv4_vectors.hpp"

namespace mtls::test {
namespace {

// The value after "key=" up to the next ", " in the Authorization header.
std::string field(const std::string& authorization, const std::string& key) {
  const std::size_t at = authorization.find(key + "=");
  if (at == std::string::npos) return "";
  const std::size_t begin = at + key.size() + 1;
  const std::size_t end = authorization.find(',', begin);
  return authorization.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

}  // namespace

std::string sigv4_problem(const certs::aws::HttpRequest& request,
                          const SigV4Expectation& expected) {
  namespace aws = certs::aws;
  std::string authorization = header_value(request, "Authorization");
  authorization.erase(0, authorization.find_first_not_of(' '));
  if (authorization.rfind("AWS4-HMAC-SHA256 ", 0) != 0) return "no AWS4-HMAC-SHA256 Authorization";
  const std::string credential = field(authorization, "Credential");
  const std::string signed_names = field(authorization, "SignedHeaders");
  const std::string signature = field(authorization, "Signature");

  std::istringstream parts(credential);
  std::string key_id, date, region, service, terminator;
  std::getline(parts, key_id, '/');
  std::getline(parts, date, '/');
  std::getline(parts, region, '/');
  std::getline(parts, service, '/');
  std::getline(parts, terminator);
  if (terminator != "aws4_request") return "malformed Credential " + credential;
  const auto secret = expected.secrets.find(key_id);
  if (secret == expected.secrets.end()) return "unknown access key " + key_id;
  if (region != expected.region || service != expected.service) {
    return "scope " + region + "/" + service + ", expected " + expected.region + "/" +
           expected.service;
  }
  const std::string amz_date = header_value(request, "X-Amz-Date");
  if (amz_date.rfind(date, 0) != 0) return "X-Amz-Date " + amz_date + " is not of day " + date;

  // Only the headers the client said it signed take part, in the order they arrived.
  aws::HttpRequest signed_part = request;
  signed_part.headers.clear();
  const std::string wanted = ";" + signed_names + ";";
  for (const auto& [name, value] : request.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (wanted.find(";" + lower + ";") != std::string::npos)
      signed_part.headers.emplace_back(name, value);
  }
  if (wanted.find(";host;") == std::string::npos ||
      wanted.find(";x-amz-date;") == std::string::npos) {
    return "SignedHeaders " + signed_names + " lacks host or x-amz-date";
  }
  const aws::CanonicalHeaders canonical = aws::canonical_headers(signed_part.headers);
  if (canonical.signed_names != signed_names) {
    return "SignedHeaders " + signed_names + " but the request has " + canonical.signed_names;
  }
  const std::string creq =
      aws::canonical_request(signed_part, aws::to_hex(aws::sha256(request.body)));
  const std::string sts = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + date + "/" + region + "/" +
                          service + "/aws4_request\n" + aws::to_hex(aws::sha256(creq));
  const aws::Digest key = aws::derive_signing_key(secret->second, date, region, service);
  const std::string expected_signature = aws::to_hex(aws::hmac_sha256(aws::as_view(key), sts));
  if (expected_signature.size() != signature.size() ||
      CRYPTO_memcmp(expected_signature.data(), signature.data(), signature.size()) != 0) {
    return "signature mismatch; canonical request:\n" + creq;
  }
  return "";
}

}  // namespace mtls::test
