#pragma once
// A throwaway PKI for tests: an in-memory CA and a temp directory (removed by the destructor)
// holding its certificate and the leaves it issues as PEM files. Not thread-safe.

#include <chrono>
#include <string>
#include <vector>

#include "certs/local_ca.hpp"

namespace mtls::test {

class TestPki {
 public:
  struct Files {
    std::string cert;  // leaf only (the CA is at ca_bundle())
    std::string key;   // PKCS#8, encrypted when a passphrase was given
  };

  explicit TestPki(const std::string& ca_name = "test CA");
  TestPki(TestPki&& other) noexcept;
  TestPki& operator=(TestPki&&) = delete;
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;
  ~TestPki();

  // Writes DIR/<name>.crt and DIR/<name>.key for a fresh leaf of this CA.
  Files leaf(const std::string& name, const std::string& spiffe_id,
             const std::vector<std::string>& dns_names,
             std::chrono::seconds ttl = std::chrono::hours(24),
             std::chrono::seconds not_before_offset = std::chrono::seconds(0),
             const std::string& passphrase = "");

  // A second CA, unrelated to this one, with its own directory.
  TestPki other_ca(const std::string& ca_name = "other test CA") const;

  std::string ca_bundle() const { return ca_bundle_; }  // DIR/ca.crt
  std::string dir() const { return dir_; }
  const certs::LocalCa& ca() const { return ca_; }

 private:
  certs::LocalCa ca_;
  std::string dir_;
  std::string ca_bundle_;
};

// A LeafRequest in one expression. (GCC 12 warns about designated initializers that leave a
// field out, and the project builds with -Wextra.)
certs::LeafRequest leaf_request(const std::string& spiffe_id,
                                const std::vector<std::string>& dns_names = {},
                                std::chrono::seconds ttl = std::chrono::hours(24),
                                std::chrono::seconds not_before_offset = std::chrono::seconds(0));

// X509_V_OK when `leaf` verifies against the single trust anchor `ca` for `purpose`
// (X509_PURPOSE_SSL_CLIENT or X509_PURPOSE_SSL_SERVER), else the X509_V_ERR_* code.
int verify_error(X509* leaf, X509* ca, int purpose);

}  // namespace mtls::test
