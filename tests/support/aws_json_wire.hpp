#pragma once
// What the fake AWS JSON 1.1 services (fake_acm, fake_kms_pca) share: the checks AWS makes before
// any operation runs, in the words AWS answers them with, and the error reply shape.

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "certs/aws/http_client.hpp"

namespace mtls::test {

// An AWS JSON 1.1 error reply: HTTP `status` and {"__type": type, "message": message}.
certs::aws::HttpResponse aws_json_error(unsigned status, const std::string& type,
                                        const std::string& message);

struct JsonCallTarget {
  std::string prefix;     // "TrentService"
  std::string operation;  // "Decrypt"
  std::string service;    // the SigV4 service name it was checked for: "kms"
};

struct JsonWireExpectation {
  std::map<std::string, std::string> services;  // X-Amz-Target prefix -> SigV4 service name
  std::map<std::string, std::string> secrets;   // access key id -> secret access key
  std::string region;
};

// The operation `request` calls, or the 400 AWS would answer instead: UnknownOperationException
// (not POST /, or a target of another service), SerializationException (not
// application/x-amz-json-1.1), InvalidSignatureException (tests/support/sigv4_verifier).
std::variant<JsonCallTarget, certs::aws::HttpResponse> read_json_call(
    const certs::aws::HttpRequest& request, const JsonWireExpectation& expected);

// Failures a test scripts per operation, answered before the operation runs. Not locked: the fake
// calls it under its own lock.
class ScriptedFailures {
 public:
  // The next `times` calls of `operation` ("" for any) fail with HTTP `status` and
  // {"__type": type, "message": message}; times < 0: until clear().
  void add(std::string operation, int times, unsigned status, std::string type,
           std::string message);
  void clear() { failures_.clear(); }
  // The scripted answer to this call of `operation`, if any (and one fewer left).
  std::optional<certs::aws::HttpResponse> next(const std::string& operation);

 private:
  struct Failure {
    std::string operation;
    int times;
    unsigned status;
    std::string type, message;
  };
  std::vector<Failure> failures_;
};

}  // namespace mtls::test
