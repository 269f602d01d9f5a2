#pragma once
// AWS JSON 1.1 calls (KMS, ACM-PCA): a signed POST to "/" with X-Amz-Target, a JSON object each
// way, errors shaped {"__type": "...#Code", "message": ...}. Throttling, 5xx and transport
// failures are retried with exponential backoff and full jitter; an expired or unknown credential
// is resolved again once. Blocking: call on the loader thread or from the CLI, never on a
// data-path worker.

#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "certs/aws/credentials.hpp"
#include "certs/aws/endpoints.hpp"
#include "certs/aws/environment.hpp"
#include "certs/aws/http_client.hpp"
#include "certs/aws/sigv4.hpp"

namespace mtls::certs::aws {

// What the calls of one process share: the environment, one HTTPS client (verifying against
// AWS_CA_BUNDLE when set, else the system store), the credential chain with its cache and the
// signer. Thread-safe where its parts are (credentials and signer lock; the client is stateless).
struct AwsContext {
  explicit AwsContext(Environment environment);
  // For tests: another transport.
  AwsContext(Environment environment, std::unique_ptr<HttpClient> client);

  Environment env;
  std::unique_ptr<HttpClient> http;
  CachedCredentials credentials;
  Signer signer;
};

// An error answer from the service (or no answer after the retries: code "" and the transport's
// reason as message).
class AwsError : public std::runtime_error {
 public:
  AwsError(std::string code, std::string message, unsigned status);
  const std::string& code() const { return code_; }        // "AccessDeniedException"
  const std::string& message() const { return message_; }  // the service's own words
  unsigned status() const { return status_; }

 private:
  std::string code_, message_;
  unsigned status_;
};

struct JsonCall {
  const AwsService& service;
  std::string region;
  Url endpoint;
  std::string target;  // "TrentService.Decrypt"
};

// Sends `body`, returns the reply's object. Throws AwsError (service error, or the transport's
// after the last attempt) or CredentialsError (no credentials).
boost::json::object call_json(AwsContext& aws, const JsonCall& call,
                              const boost::json::object& body);

// Where calls to `service` in `region` go: AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL >
// https://<prefix>.<region>.amazonaws.com.
Url endpoint_for(const AwsService& service, const std::string& region, const Environment& env);

// Standard base64 with padding, as the JSON protocols carry blobs. decode throws
// std::invalid_argument on anything else.
std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);

}  // namespace mtls::certs::aws
