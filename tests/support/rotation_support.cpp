#include "tests/support/rotation_support.hpp"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::test {
namespace {

namespace fs = std::filesystem;

using X509RevokedPtr = std::unique_ptr<X509_REVOKED, certs::OpenSslDeleter<X509_REVOKED_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, certs::OpenSslDeleter<ASN1_TIME_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, certs::OpenSslDeleter<BN_free>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + certs::drain_openssl_errors());
}

}  // namespace

SecretVolume::SecretVolume(std::string dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }

void SecretVolume::publish(const std::map<std::string, std::string>& files) {
  char stamp[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::snprintf(stamp, sizeof stamp, "..%04d_%02d_%02d_%02d_%02d_%02d.%09u", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ++generation_);
  fs::create_directory(path(stamp));
  for (const auto& [name, content] : files) {
    certs::write_file(path(stamp) + "/" + name, content, name.ends_with(".key") ? 0600 : 0644);
  }
  fs::create_symlink(stamp, path("..data_tmp"));
  fs::rename(path("..data_tmp"), path("..data"));  // the atomic swap
  for (const auto& [name, content] : files) {
    std::error_code exists;
    if (!fs::is_symlink(path(name), exists)) fs::create_symlink("..data/" + name, path(name));
  }
  if (!current_.empty()) fs::remove_all(path(current_));
  current_ = stamp;
}

IssuedPem issue_pem(const certs::LocalCa& ca, const std::string& spiffe_id,
                    const std::vector<std::string>& dns_names, std::chrono::seconds ttl,
                    std::chrono::seconds not_before_offset) {
  const certs::IssuedCertificate issued =
      ca.issue(leaf_request(spiffe_id, dns_names, ttl, not_before_offset));
  return {certs::to_pem(issued.cert.get()), certs::to_pem(issued.key.get()),
          certs::serial_hex(issued.cert.get())};
}

std::string crl_pem(const certs::LocalCa& ca, const std::vector<std::string>& serials,
                    std::chrono::seconds next_update) {
  certs::X509CrlPtr crl(X509_CRL_new());
  const std::time_t now = std::time(nullptr);
  Asn1TimePtr last(ASN1_TIME_set(nullptr, now - 60));
  Asn1TimePtr next(ASN1_TIME_set(nullptr, now + next_update.count()));
  check(crl && X509_CRL_set_version(crl.get(), 1) == 1 &&
            X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.certificate())) == 1 &&
            X509_CRL_set1_lastUpdate(crl.get(), last.get()) == 1 &&
            X509_CRL_set1_nextUpdate(crl.get(), next.get()) == 1,
        "CRL fields");
  for (const std::string& hex : serials) {
    BIGNUM* raw = nullptr;
    check(BN_hex2bn(&raw, hex.c_str()) > 0, "serial");
    BignumPtr bn(raw);
    X509RevokedPtr revoked(X509_REVOKED_new());
    ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(bn.get(), nullptr);
    check(serial && X509_REVOKED_set_serialNumber(revoked.get(), serial) == 1 &&
              X509_REVOKED_set_revocationDate(revoked.get(), last.get()) == 1,
          "revoked entry");
    ASN1_INTEGER_free(serial);
    check(X509_CRL_add0_revoked(crl.get(), revoked.release()) == 1, "add revoked");
  }
  X509_CRL_sort(crl.get());
  // The authority key identifier, as RFC 5280 requires of CAs: with two roots of one name (a
  // rotation), it is what tells their CRLs apart.
  X509V3_CTX ext_ctx;
  X509V3_set_ctx(&ext_ctx, ca.certificate(), nullptr, nullptr, crl.get(), 0);
  X509_EXTENSION* akid =
      X509V3_EXT_conf_nid(nullptr, &ext_ctx, NID_authority_key_identifier, "keyid:always");
  check(akid && X509_CRL_add_ext(crl.get(), akid, -1) == 1, "CRL authority key identifier");
  X509_EXTENSION_free(akid);
  check(X509_CRL_sign(crl.get(), ca.key(), EVP_sha256()) > 0, "CRL signature");
  certs::BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509_CRL(bio.get(), crl.get()) == 1, "CRL PEM");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, std::size_t(n));
}

proxy::ProbeResult ping(proxy::ProbeOptions options) {
  options.reply_size = kPing.size();
  return proxy::tls_probe(options, kPing);
}

}  // namespace mtls::test
