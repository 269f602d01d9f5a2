#include "certs/local_ca.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "certs/peer_identity.hpp"
#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"

namespace mtls::certs {
namespace {

namespace fs = std::filesystem;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslDeleter<GENERAL_NAMES_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;

// Peers whose clocks run a little behind must already accept a certificate issued just now.
constexpr std::chrono::seconds kClockSkew = std::chrono::minutes(5);
constexpr std::chrono::seconds kCaLifetime = std::chrono::days(3652);  // 10 years

[[noreturn]] void openssl_fail(const std::string& what) {
  throw std::runtime_error(what + ": " + drain_openssl_errors());
}

void check(int ok, const char* what) {
  if (ok != 1) openssl_fail(what);
}

EvpPkeyPtr make_p256_key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) openssl_fail("cannot generate a P-256 key");
  return key;
}

// 128 random bits: unpredictable serials are what made chosen-prefix collisions impractical.
void set_random_serial(X509* cert) {
  BignumPtr serial(BN_new());
  do {
    check(serial ? BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) : 0,
          "cannot draw a serial number");
  } while (BN_is_zero(serial.get()));
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    openssl_fail("cannot set the serial number");
  }
}

// Version 3, random serial, subject CN, validity and public key; no issuer or extensions yet.
X509Ptr new_certificate(EVP_PKEY* key, const std::string& common_name, std::time_t not_before,
                        std::time_t not_after) {
  X509Ptr cert(X509_new());
  if (!cert) openssl_fail("cannot allocate a certificate");
  check(X509_set_version(cert.get(), X509_VERSION_3), "cannot set the version");
  set_random_serial(cert.get());
  // RFC 5280 caps a CN at 64 characters; the SANs carry the full names anyway. No CN: an empty
  // subject, with the SANs marked critical by the caller (RFC 5280 §4.2.1.6).
  const std::string cn = common_name.substr(0, 64);
  if (!cn.empty()) {
    check(
        X509_NAME_add_entry_by_NID(X509_get_subject_name(cert.get()), NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.data()),
                                   static_cast<int>(cn.size()), -1, 0),
        "cannot set the common name");
  }
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), not_after) == nullptr) {
    openssl_fail("cannot set the validity");
  }
  check(X509_set_pubkey(cert.get(), key), "cannot set the public key");
  return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext) openssl_fail(std::string("cannot build extension ") + OBJ_nid2sn(nid));
  check(X509_add_ext(cert, ext.get(), -1), "cannot add an extension");
}

// Built as GENERAL_NAMEs, not as a config string: a value with a comma must not become two SANs.
void add_subject_alt_names(X509* cert, const LeafRequest& request) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  auto push = [&](int type, const std::string& value) {
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (text == nullptr || name == nullptr ||
        ASN1_STRING_set(text, value.data(), static_cast<int>(value.size())) != 1) {
      ASN1_IA5STRING_free(text);
      GENERAL_NAME_free(name);
      openssl_fail("cannot build a subject alternative name");
    }
    GENERAL_NAME_set0_value(name, type, text);
    if (sk_GENERAL_NAME_push(names.get(), name) <= 0) {
      GENERAL_NAME_free(name);
      openssl_fail("cannot build a subject alternative name");
    }
  };
  if (!names) openssl_fail("cannot build subject alternative names");
  if (!request.spiffe_id.empty()) push(GEN_URI, request.spiffe_id);
  for (const std::string& dns : request.dns_names) push(GEN_DNS, dns);
  const int critical = X509_NAME_entry_count(X509_get_subject_name(cert)) == 0 ? 1 : 0;
  check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), critical, X509V3_ADD_DEFAULT),
        "cannot add subject alternative names");
}

bool is_dns_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '*';
    if (!ok) return false;
  }
  return true;
}

void validate(const LeafRequest& request, const std::string& trust_domain) {
  if (!request.spiffe_id.empty() && !is_workload_spiffe_id(request.spiffe_id)) {
    throw std::runtime_error("spiffe_id \"" + request.spiffe_id +
                             "\" is not a workload SPIFFE ID (spiffe://trust-domain/path)");
  }
  // The CA vouches for one trust domain: peers bind IDs to their domain's roots, and a CA made
  // by `ca init` carries a name constraint that would make such a leaf fail verification anyway.
  if (!request.spiffe_id.empty() && !trust_domain.empty() &&
      spiffe_trust_domain(request.spiffe_id) != trust_domain) {
    throw std::runtime_error("spiffe_id \"" + request.spiffe_id +
                             "\" is outside the local CA's trust domain " + trust_domain);
  }
  for (const std::string& dns : request.dns_names) {
    if (!is_dns_name(dns)) throw std::runtime_error("\"" + dns + "\" is not a DNS name");
  }
  if (request.spiffe_id.empty() && request.dns_names.empty()) {
    throw std::runtime_error("a certificate needs a spiffe_id or at least one DNS name");
  }
  if (request.ttl.count() <= 0) throw std::runtime_error("certificate ttl must be positive");
}

// The first DNS name, or none: a CN made from the SPIFFE path ("orders" of .../sa/orders) would
// let spiffe://x/ns/evil/sa/orders pass a common_names: [orders] check of a peer that reads CNs.
std::string leaf_common_name(const LeafRequest& request) {
  return request.dns_names.empty() ? std::string() : request.dns_names.front();
}

// The trust domain a CA certificate is for: its permitted URI name constraint (new CAs), else
// the "<domain> local CA" common name older `ca init` wrote; "" when neither says.
std::string ca_trust_domain(X509* ca) {
  using NameConstraintsPtr =
      std::unique_ptr<NAME_CONSTRAINTS, OpenSslDeleter<NAME_CONSTRAINTS_free>>;
  NameConstraintsPtr nc(
      static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(ca, NID_name_constraints, nullptr, nullptr)));
  for (int i = 0; nc && i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); ++i) {
    const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base;
    if (base->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = base->d.uniformResourceIdentifier;
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                       static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  ERR_clear_error();
  const PeerIdentity subject = extract_identity(ca);
  constexpr std::string_view kSuffix = " local CA";
  const std::string& cn = subject.common_name;
  if (!std::string_view(cn).ends_with(kSuffix)) return {};
  const std::string domain = cn.substr(0, cn.size() - kSuffix.size());
  return spiffe_trust_domain("spiffe://" + domain) == domain ? domain : std::string();
}

// Creates the last component 0700; parents are created as `mkdir -p` would. An existing directory
// keeps its mode: it may be the user's, and ca.key is 0600 whatever the directory.
void make_private_dir(const std::string& dir) {
  const fs::path path(dir);
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (ec) throw std::runtime_error(dir + ": cannot create directory: " + ec.message());
  if (::mkdir(dir.c_str(), 0700) == 0) {
    if (::chmod(dir.c_str(), 0700) != 0) {
      throw std::runtime_error(dir + ": cannot chmod: " + std::strerror(errno));
    }
  } else if (errno != EEXIST || !fs::is_directory(path, ec)) {
    throw std::runtime_error(dir + ": cannot create directory: " + std::strerror(errno));
  }
}

std::string join_path(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

void write_key_file(const std::string& path, EVP_PKEY* key, const std::string& passphrase) {
  std::string pem = to_pem(key, passphrase);
  struct Wipe {
    std::string& text;
    ~Wipe() { OPENSSL_cleanse(text.data(), text.size()); }
  } wipe{pem};
  write_file(path, pem, 0600);
}

}  // namespace

LocalCa::LocalCa(X509Ptr cert, EvpPkeyPtr key, std::string dir)
    : cert_(std::move(cert)), key_(std::move(key)), dir_(std::move(dir)) {
  trust_domain_ = ca_trust_domain(cert_.get());
}

LocalCa LocalCa::generate(const std::string& common_name, const std::string& trust_domain) {
  ERR_clear_error();
  EvpPkeyPtr key = make_p256_key();
  const std::time_t now = std::time(nullptr);
  X509Ptr cert =
      new_certificate(key.get(), common_name, now - kClockSkew.count(), now + kCaLifetime.count());
  X509* x = cert.get();
  check(X509_set_issuer_name(x, X509_get_subject_name(x)), "cannot set the issuer");
  add_extension(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(x, x, NID_subject_key_identifier, "hash");
  add_extension(x, x, NID_authority_key_identifier, "keyid:always");
  if (!trust_domain.empty()) {
    // Verifiers refuse any URI SAN of another host (trust domain) below this CA, so a stolen
    // ca.key cannot mint identities of a federated partner. (RFC 5280 URI constraints name the
    // host: "demo.local" permits spiffe://demo.local/... only.)
    add_extension(x, x, NID_name_constraints, ("critical,permitted;URI:" + trust_domain).c_str());
  }
  if (X509_sign(x, key.get(), EVP_sha256()) <= 0) openssl_fail("cannot sign the CA certificate");
  return LocalCa(std::move(cert), std::move(key), "");
}

LocalCa LocalCa::init(const std::string& dir, const std::string& trust_domain,
                      const std::string& passphrase, bool force) {
  if (spiffe_trust_domain("spiffe://" + trust_domain) != trust_domain) {
    throw std::runtime_error("trust domain \"" + trust_domain +
                             "\" is not valid (lowercase letters, digits, '.', '-', '_')");
  }
  const std::string cert_path = join_path(dir, "ca.crt");
  const std::string key_path = join_path(dir, "ca.key");
  for (const std::string& path : {key_path, cert_path}) {
    std::error_code ec;
    if (!force && fs::exists(fs::symlink_status(path, ec))) {
      throw std::runtime_error(path + ": already exists; refusing to overwrite a CA (use force)");
    }
  }
  make_private_dir(dir);
  LocalCa ca = generate(trust_domain + " local CA", trust_domain);
  ca.dir_ = dir;
  write_key_file(key_path, ca.key(), passphrase);
  write_file(cert_path, to_pem(ca.certificate()), 0644);
  return ca;
}

LocalCa LocalCa::open(const std::string& dir, const std::string& passphrase) {
  const std::string cert_path = join_path(dir, "ca.crt");
  const std::string key_path = join_path(dir, "ca.key");
  std::vector<X509Ptr> certs = load_certificates(cert_path);
  EvpPkeyPtr key = load_private_key(key_path, passphrase);
  X509Ptr cert = std::move(certs.front());
  if (X509_check_ca(cert.get()) == 0) {
    throw std::runtime_error(cert_path + ": not a CA certificate");
  }
  ERR_clear_error();
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error(key_path + ": does not match " + cert_path);
  }
  return LocalCa(std::move(cert), std::move(key), dir);
}

IssuedCertificate LocalCa::issue(const LeafRequest& request) const {
  EvpPkeyPtr key = make_p256_key();
  X509Ptr cert = certify(request, key.get());
  return {.cert = std::move(cert), .key = std::move(key)};
}

X509Ptr LocalCa::certify(const LeafRequest& request, EVP_PKEY* key) const {
  validate(request, trust_domain_);
  ERR_clear_error();
  // The certificate is usable for `ttl` from now; backdating not_before for skewed peers must
  // not eat into that (a 6 s test ttl would otherwise be born expired). It never outlives the CA:
  // a peer would refuse it from then on anyway, and the renewal would be timed past that.
  const std::time_t issued = std::time(nullptr) + request.not_before_offset.count();
  const std::time_t ca_end = to_time_t(X509_get0_notAfter(cert_.get()));
  X509Ptr cert = new_certificate(key, leaf_common_name(request), issued - kClockSkew.count(),
                                 std::min<std::time_t>(issued + request.ttl.count(), ca_end));
  X509* x = cert.get();
  check(X509_set_issuer_name(x, X509_get_subject_name(cert_.get())), "cannot set the issuer");
  add_subject_alt_names(x, request);
  add_extension(x, cert_.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(x, cert_.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(x, cert_.get(), NID_ext_key_usage, "serverAuth,clientAuth");
  add_extension(x, cert_.get(), NID_subject_key_identifier, "hash");
  add_extension(x, cert_.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(x, key_.get(), EVP_sha256()) <= 0) openssl_fail("cannot sign the certificate");
  return cert;
}

void write_issued(const std::string& dir, const IssuedCertificate& issued, X509* ca_cert,
                  const std::string& passphrase) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir + ": cannot create directory: " + ec.message());
  write_key_file(join_path(dir, "tls.key"), issued.key.get(), passphrase);
  write_file(join_path(dir, "tls.crt"), to_pem(issued.cert.get()) + to_pem(ca_cert), 0644);
}

}  // namespace mtls::certs
