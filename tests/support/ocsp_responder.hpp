#pragma once
// A real OCSP responder for tests: `openssl ocsp` serving on an ephemeral port of loopback for a
// TestPki's CA, signing with the CA's key, its certificate statuses in an index.txt written here.
// `openssl ocsp` re-reads a changed index only one request late, so set_status() restarts it on
// the same port instead (its URL goes into the certificates' AIA before they are issued).
// The process is killed and reaped by the destructor.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "tests/support/test_pki.hpp"

namespace mtls::test {

class OcspResponder {
 public:
  // Responses are valid for `validity` from their thisUpdate (`openssl ocsp -nmin`).
  explicit OcspResponder(const TestPki& pki,
                         std::chrono::minutes validity = std::chrono::minutes(60));
  ~OcspResponder();
  OcspResponder(const OcspResponder&) = delete;
  OcspResponder& operator=(const OcspResponder&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Records the status of the certificate in `cert_file` (good, or revoked an hour ago) and
  // restarts the responder with it. Certificates never recorded are "unknown".
  void set_status(const std::string& cert_file, bool revoked);
  // What the responder answers about `cert_file`, asked with `openssl ocsp -respout`: DER.
  std::string response_for(const std::string& cert_file) const;

 private:
  void start();
  void stop();

  const TestPki& pki_;
  std::chrono::minutes validity_;
  std::string dir_, index_, ca_key_;
  std::map<std::string, std::string> index_lines_;  // serial -> line of index.txt
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace mtls::test
