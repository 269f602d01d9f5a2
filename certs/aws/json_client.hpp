#pragma once
// The AWS JSON 1.1 protocol (ACM, ACM-PCA, KMS): a POST to the endpoint's path with
// `X-Amz-Target: <prefix>.<Operation>` and `Content-Type: application/x-amz-json-1.1`, signed
// with SigV4; errors come back as {"__type": "[namespace#]Code", "message" | "Message": "..."}.
// Throttling, 5xx and no response are retried with exponential backoff and full jitter; an
// expired or unrecognised token is resolved again once. Calls block (HttpClient): run them on
// the loader thread or from the CLI, never on a data-path worker or the control thread.

#include <openssl/crypto.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include "certs/aws/credentials.hpp"
#include "certs/aws/endpoints.hpp"
#include "certs/aws/environment.hpp"
#include "certs/aws/http_client.hpp"
#include "certs/aws/sigv4.hpp"

namespace mtls::certs::aws {

// Wipes a string that held a secret (a passphrase, a key, a request or reply carrying one) when it
// goes out of scope.
struct Wipe {
  std::string& text;
  ~Wipe() { OPENSSL_cleanse(text.data(), text.size()); }
};

// A call that failed for good (after the retries), with AWS's error code and message when AWS
// answered; what() reads "ExportCertificate: AccessDeniedException: User ... is not authorized".
class AwsCallError : public std::runtime_error {
 public:
  AwsCallError(std::string operation, std::string code, std::string message, unsigned status);
  const std::string& code() const { return code_; }  // "" when no AWS error came back
  const std::string& message() const { return message_; }
  unsigned status() const { return status_; }  // 0: no HTTP response (network, timeout)

 private:
  std::string code_, message_;
  unsigned status_;
};

// The SDKs' "standard" retry mode, shorter: throttling errors, 5xx and no response at all are
// tried again up to max_attempts in all, after a full-jitter delay uniform in
// [0, min(cap, base * 2^attempt)]. The loader thread sleeps through it, so the bound is small.
struct RetryPolicy {
  int max_attempts = 3;
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{5000};
  std::chrono::milliseconds timeout{10000};  // per attempt, connect to last byte
};

// True for the error codes AWS services use for throttling.
bool is_throttling(const std::string& code);

// One service at one endpoint. Thread-compatible: one caller at a time.
class JsonServiceClient {
 public:
  // `target_prefix`: "CertificateManager" (ACM), "ACMPrivateCA", "TrentService" (KMS).
  JsonServiceClient(AwsService service, std::string target_prefix, Url endpoint, std::string region,
                    CachedCredentials& credentials, HttpClient& http, RetryPolicy retry = {});

  // POSTs `body` as <prefix>.<operation> and returns the body of the 200 reply. Throws
  // AwsCallError (AWS's error, or no response), CredentialsError (no credentials). An expired or
  // unrecognised token is answered by resolving the credentials again, once.
  std::string call(const std::string& operation, const std::string& body);
  // The same with JSON objects each way; the reply's text is wiped once parsed (it may hold a
  // data key). Throws AwsCallError also for a reply that is not a JSON object.
  boost::json::object call_object(const std::string& operation, const boost::json::object& body);

  const Url& endpoint() const { return endpoint_; }
  const std::string& region() const { return region_; }

 private:
  HttpResponse send_once(const std::string& operation, const std::string& body);

  AwsService service_;
  std::string target_prefix_;
  Url endpoint_;
  std::string region_;
  CachedCredentials& credentials_;
  HttpClient& http_;
  RetryPolicy retry_;
  Signer signer_;
  std::mt19937_64 random_;
};

// What the AWS calls of a source or a CLI command share: the environment, one HTTPS client
// (verifying against AWS_CA_BUNDLE when set, else the system store) and the credential chain with
// its cache. Each service client (KmsClient, get_ca_certificate) builds a JsonServiceClient on it.
struct AwsContext {
  explicit AwsContext(Environment environment);
  // For tests: another transport.
  AwsContext(Environment environment, std::unique_ptr<HttpClient> client);

  Environment env;
  std::unique_ptr<HttpClient> http;
  CachedCredentials credentials;
};

// Where calls to `service` in `region` go: AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL >
// https://<prefix>.<region>.amazonaws.com.
Url endpoint_for(const AwsService& service, const std::string& region, const Environment& env);

// Standard base64 with padding, as the JSON protocols carry blobs. decode throws
// std::invalid_argument on anything else.
std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);

}  // namespace mtls::certs::aws
