#pragma once
// A loopback stand-in for AWS KMS and ACM Private CA, speaking their wire protocol as awscli and
// the SDKs do: HTTPS (a TestPki leaf for "localhost"), POST / with JSON 1.1 bodies and
// X-Amz-Target (TrentService.*, ACMPrivateCA.*), base64 blobs, errors as HTTP 400 with
// {"__type": ..., "message": ...}. Every request's SigV4 signature is verified
// (tests/support/sigv4_verifier) for its service ("kms" or "acm-pca") in kRegion; a bad one gets
// InvalidSignatureException. KMS really encrypts: each of its two keys is a random AES-256 key,
// GenerateDataKey wraps a fresh data key with AES-256-GCM bound to the key and the
// EncryptionContext, Decrypt unwraps it (InvalidCiphertextException for a changed blob or context,
// IncorrectKeyException for another KeyId). Thread-safe: handlers run on the server's thread.

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "tests/support/aws_json_wire.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::test {

class FakeKmsPca {
 public:
  static constexpr const char* kRegion = "eu-west-1";
  static constexpr const char* kAccessKey = "AKIDFAKEKMSPCA";
  static constexpr const char* kSecretKey = "fake+kms/pca+secret+key+for+tests+only";
  static constexpr const char* kAlias = "alias/mtls-sidecar";  // names key_arn()

  // Serves HTTPS with a leaf for "localhost" issued by `pki` (trust it with AWS_CA_BUNDLE).
  explicit FakeKmsPca(TestPki& pki);
  ~FakeKmsPca();

  std::string url() const { return server_->url(); }
  std::string key_arn() const;        // the key kAlias names
  std::string other_key_arn() const;  // a second key of the same account
  std::string ca_arn() const;         // the Private CA; answers once set_ca() was called

  // What GetCertificateAuthorityCertificate returns from now on (PEM; chain may be empty).
  void set_ca(std::string certificate, std::string chain = "");
  // AccessDeniedException for every later call of `operation` ("Decrypt",
  // "GetCertificateAuthorityCertificate"); deny("") allows everything again.
  void deny(std::string operation);
  // The next `times` calls of `operation` ("" for any) fail with HTTP `status` and an error of
  // `type` (ThrottlingException, ExpiredTokenException, InternalFailure, ...).
  void fail(std::string operation, int times, unsigned status, std::string type);
  // How many calls of `operation` were answered (successfully or not), signature checked.
  int calls(std::string_view operation) const;

  // An environment for our AWS client that leads here: credentials, region, both endpoint
  // overrides and AWS_CA_BUNDLE.
  std::map<std::string, std::string> environment() const;

 private:
  certs::aws::HttpResponse handle(const certs::aws::HttpRequest& request);
  certs::aws::HttpResponse kms(const std::string& operation, const std::string& body);
  certs::aws::HttpResponse pca(const std::string& operation, const std::string& body);

  std::string ca_file_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> keys_;  // key ARN -> AES-256 key
  std::string ca_certificate_, ca_chain_;
  std::string denied_;
  ScriptedFailures failures_;
  std::map<std::string, int, std::less<>> calls_;
  std::unique_ptr<FakeHttpServer> server_;  // last: stops before the state it uses goes
};

}  // namespace mtls::test
