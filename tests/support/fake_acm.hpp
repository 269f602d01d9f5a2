#pragma once
// A local AWS Certificate Manager for tests, on 127.0.0.1 over HTTPS (a TestPki certificate for
// "localhost"; clients trust ca_bundle() through AWS_CA_BUNDLE). It speaks the real wire protocol,
// so the AWS CLI works against it too: AWS JSON 1.1 (POST /, Content-Type
// application/x-amz-json-1.1, X-Amz-Target CertificateManager.<Operation>), errors as
// {"__type": "...", "message": "..."} with AWS's HTTP status. Every request's SigV4 signature is
// verified (tests/support/sigv4_verifier); a bad one is answered 400 InvalidSignatureException.
//
// One certificate, issued by its own private CA with DNS SANs only, as ACM issues them:
// ExportCertificate returns it with the CA as CertificateChain and the key as PKCS#8 encrypted
// with the request's passphrase (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC: what `openssl pkcs8
// -topk8 -v2 aes-256-cbc` writes); DescribeCertificate its Serial and NotAfter. renew() issues
// a new one, as an ACM renewal does. Failures are scripted per operation.
// Thread-safe: requests are served on the server's thread, tests script it from theirs.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "certs/aws/http_client.hpp"
#include "config/config.hpp"
#include "tests/support/aws_json_wire.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::test {

class FakeAcm {
 public:
  struct Options {
    std::string region = "us-east-1";
    std::string access_key_id = "AKIDFAKEACM0000000001";
    std::string secret_access_key = "fake/secret/key/for/the/acm/test/server0";
    // Non-empty: temporary credentials; every request must carry this X-Amz-Security-Token.
    std::string session_token;
    std::vector<std::string> dns_names = {"orders.acm.test"};
    std::chrono::seconds ttl = std::chrono::hours(24 * 13 * 30);  // ACM Private CA: 13 months
  };

  explicit FakeAcm(Options options);
  FakeAcm() : FakeAcm(Options{}) {}
  ~FakeAcm();
  FakeAcm(const FakeAcm&) = delete;
  FakeAcm& operator=(const FakeAcm&) = delete;

  std::string url() const;                   // https://localhost:PORT
  std::string ca_bundle() const;             // PEM of the root of the server's HTTPS certificate
  std::string certificate_arn() const;       // arn:aws:acm:REGION:123456789012:certificate/...
  std::string issuing_ca_file() const;       // PEM of the private CA that issues the certificate
  const certs::LocalCa& issuing_ca() const;  // to issue peers' certificates
  const Options& options() const { return options_; }

  std::string serial() const;  // the current certificate's serial, upper-case hex
  std::string renew();         // a new certificate (new serial and NotAfter); returns its serial

  // The next `times` calls of `operation` ("ExportCertificate", "DescribeCertificate"; "" for
  // any) fail with HTTP `status` and {"__type": type, "message": message}; times < 0: until
  // clear_failures().
  void fail(const std::string& operation, int times, unsigned status, std::string type,
            std::string message);
  void clear_failures();

  int calls(const std::string& operation) const;  // answered with 200
  std::vector<std::string> passphrases() const;   // each ExportCertificate's, decoded
  std::vector<certs::aws::HttpRequest> requests() const;

 private:
  struct State;
  certs::aws::HttpResponse handle(const certs::aws::HttpRequest& request);

  Options options_;
  TestPki pki_;  // the HTTPS certificate and the temp directory
  std::unique_ptr<State> state_;
  std::unique_ptr<FakeHttpServer> server_;
};

// The environment of a sidecar that reaches `acm`: its endpoint (AWS_ENDPOINT_URL_ACM), its CA
// (AWS_CA_BUNDLE), its region, IMDS off, HOME at `home` (no stray ~/.aws) and, with `keys`, its
// static keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN when it has one).
std::map<std::string, std::string> acm_environment(const FakeAcm& acm, const std::string& home,
                                                   bool keys = true);

// One inbound sidecar ("in" -> 127.0.0.1:backend_port, admin on an ephemeral port) serving
// `acm`'s certificate, trusting its private CA and admitting peers named `peer_dns` (ACM
// certificates carry DNS names, not SPIFFE IDs). Endpoint and region come from the environment.
config::Config acm_sidecar_config(const FakeAcm& acm, std::uint16_t backend_port,
                                  const std::string& peer_dns,
                                  config::Duration refresh = std::chrono::milliseconds(200));

// A peer's certificate from `acm`'s private CA with DNS SAN `dns`: DIR/<name>.crt and .key.
TestPki::Files acm_peer(const FakeAcm& acm, const std::string& dir, const std::string& name,
                        const std::string& dns);

}  // namespace mtls::test
