#pragma once
// The ACM calls the identity source makes, over the AWS JSON 1.1 protocol: a POST to "/" with
// `X-Amz-Target: <prefix>.<Operation>` and `Content-Type: application/x-amz-json-1.1`, signed with
// SigV4; errors come back as {"__type": "[namespace#]Code", "message" | "Message": "..."}.
// JsonServiceClient is the protocol (any JSON 1.1 service: ACM, ACM-PCA, KMS); AcmClient the two
// ACM operations. Calls block (HttpClient): run them on the loader thread, never on the data path
// or the control thread. Thread-compatible: one caller at a time.

#include <chrono>
#include <ctime>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include "certs/aws/credentials.hpp"
#include "certs/aws/endpoints.hpp"
#include "certs/aws/http_client.hpp"
#include "certs/aws/sigv4.hpp"

namespace mtls::certs::aws {

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

class JsonServiceClient {
 public:
  // `target_prefix`: "CertificateManager" (ACM), "ACMPrivateCA", "TrentService" (KMS).
  JsonServiceClient(AwsService service, std::string target_prefix, Url endpoint, std::string region,
                    CachedCredentials& credentials, HttpClient& http, RetryPolicy retry = {});

  // POSTs `body` as <prefix>.<operation> and returns the body of the 200 reply. Throws
  // AwsCallError (AWS's error, or no response), CredentialsError (no credentials). An expired or
  // unrecognised token is answered by resolving the credentials again, once.
  std::string call(const std::string& operation, const std::string& body);

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

struct AcmCertificateInfo {
  std::string serial;                    // as ACM writes it: "0a:1b:..." (lower-case hex, colons)
  std::optional<std::time_t> not_after;  // absent before the certificate is issued
  std::string status;                    // "ISSUED", "PENDING_VALIDATION", ...
};

// ExportCertificate's reply. The key is PEM "ENCRYPTED PRIVATE KEY" (PKCS#8, PBES2) under the
// passphrase of the call; the destructor wipes it.
struct AcmExport {
  std::string certificate;        // the leaf, PEM
  std::string certificate_chain;  // intermediates and root, PEM (may be empty)
  std::string private_key;
  AcmExport() = default;
  AcmExport(AcmExport&&) = default;
  AcmExport& operator=(AcmExport&&) = default;
  ~AcmExport();
};

// A passphrase for one ExportCertificate call: `length` characters of [A-Za-z0-9._] from the
// OpenSSL CSPRNG (none of the '#', '$', '%' ACM refuses); length 4..128.
std::string random_export_passphrase(std::size_t length = 32);

class AcmClient {
 public:
  explicit AcmClient(JsonServiceClient& json) : json_(json) {}
  // `passphrase` as random_export_passphrase() makes it; it travels base64-encoded (a Blob).
  AcmExport export_certificate(const std::string& arn, const std::string& passphrase);
  AcmCertificateInfo describe_certificate(const std::string& arn);

 private:
  JsonServiceClient& json_;
};

}  // namespace mtls::certs::aws
