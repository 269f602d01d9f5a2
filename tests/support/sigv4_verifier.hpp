#pragma once
// Server-side SigV4 check for the fake AWS services: recomputes the signature of a received
// request from the headers its Authorization names, as AWS does, so a test server can answer
// InvalidSignatureException to anything our client signs wrongly.

#include <map>
#include <string>

#include "certs/aws/sigv4.hpp"

namespace mtls::test {

struct SigV4Expectation {
  std::map<std::string, std::string> secrets;  // access key id -> secret access key
  std::string region;
  std::string service;
};

// "" when `request` carries a valid AWS4-HMAC-SHA256 Authorization for one of the known keys, in
// the expected region and service, signing at least host and x-amz-date; else why not.
std::string sigv4_problem(const certs::aws::HttpRequest& request, const SigV4Expectation& expected);

}  // namespace mtls::test
