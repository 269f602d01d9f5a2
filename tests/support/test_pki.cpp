#include "tests/support/test_pki.hpp"

#include <openssl/err.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "certs/pem.hpp"

namespace mtls::test {
namespace {

std::string make_temp_dir() {
  std::string pattern = "/tmp/mtls-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

}  // namespace

TestPki::TestPki(const std::string& ca_name)
    : ca_(certs::LocalCa::generate(ca_name)), dir_(make_temp_dir()), ca_bundle_(dir_ + "/ca.crt") {
  certs::write_file(ca_bundle_, certs::to_pem(ca_.certificate()), 0644);
}

TestPki::TestPki(TestPki&& other) noexcept
    : ca_(std::move(other.ca_)),
      dir_(std::move(other.dir_)),
      ca_bundle_(std::move(other.ca_bundle_)) {
  other.dir_.clear();  // the moved-from object must not delete our directory
}

TestPki::~TestPki() {
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

TestPki::Files TestPki::leaf(const std::string& name, const std::string& spiffe_id,
                             const std::vector<std::string>& dns_names, std::chrono::seconds ttl,
                             std::chrono::seconds not_before_offset,
                             const std::string& passphrase) {
  const certs::IssuedCertificate issued =
      ca_.issue(leaf_request(spiffe_id, dns_names, ttl, not_before_offset));
  Files files{dir_ + "/" + name + ".crt", dir_ + "/" + name + ".key"};
  certs::write_file(files.cert, certs::to_pem(issued.cert.get()), 0644);
  certs::write_file(files.key, certs::to_pem(issued.key.get(), passphrase), 0600);
  return files;
}

certs::LeafRequest leaf_request(const std::string& spiffe_id,
                                const std::vector<std::string>& dns_names, std::chrono::seconds ttl,
                                std::chrono::seconds not_before_offset) {
  return {.spiffe_id = spiffe_id,
          .dns_names = dns_names,
          .ttl = ttl,
          .not_before_offset = not_before_offset};
}

int verify_error(X509* leaf, X509* ca, int purpose) {
  certs::X509StorePtr store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, certs::OpenSslDeleter<X509_STORE_CTX_free>> ctx(
      X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) != 1 ||
      X509_STORE_CTX_set_purpose(ctx.get(), purpose) != 1) {
    throw std::runtime_error("cannot set up verification: " + certs::drain_openssl_errors());
  }
  if (X509_verify_cert(ctx.get()) == 1) return X509_V_OK;
  ERR_clear_error();
  return X509_STORE_CTX_get_error(ctx.get());
}

TestPki TestPki::other_ca(const std::string& ca_name) const { return TestPki(ca_name); }

}  // namespace mtls::test
