#include "certs/certificate_source.hpp"

#include <openssl/crypto.h>

#include <filesystem>
#include <stdexcept>

#include "certs/acm_source.hpp"
#include "certs/aws/beast_http_client.hpp"
#include "certs/aws/kms_envelope.hpp"
#include "certs/aws_backed.hpp"
#include "certs/load_error.hpp"
#include "certs/local_ca.hpp"
#include "certs/ocsp_fetch.hpp"
#include "certs/ocsp_staple.hpp"
#include "certs/pem.hpp"
#include "certs/pkcs11_key.hpp"

namespace mtls::certs {
namespace {

// Passphrases are wiped as soon as the key is decrypted.
struct Secret {
  std::string text;
  ~Secret() { OPENSSL_cleanse(text.data(), text.size()); }
};

// The field that holds a passphrase: its file, or else its variable.
std::string passphrase_field(const std::string& section, const std::string& file) {
  return section + (file.empty() ? ".key_passphrase_env" : ".key_passphrase_file");
}

// The non-empty paths among `paths`, in order, then the trust.domains files.
std::vector<std::string> present(std::initializer_list<std::string> paths,
                                 const config::TrustConfig& trust) {
  std::vector<std::string> out;
  for (const std::string& p : paths)
    if (!p.empty()) out.push_back(p);
  for (const config::TrustDomainBundle& domain : trust.domains) out.push_back(domain.ca_bundle);
  return out;
}

// Where a path leads now, through every symlink; the path itself when it leads nowhere.
std::string resolve(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path target = std::filesystem::canonical(path, ec);
  return ec || path.empty() ? path : target.string();
}

std::vector<std::string> resolve_all(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) out.push_back(resolve(p));
  return out;
}

// A Kubernetes `..data` swap between reading the certificate and the key would pair the old
// certificate with the new key: sources read the files where they lead (one timestamped
// directory), and when any path leads elsewhere after the read than before it (the directory
// was swapped, and maybe deleted, meanwhile), read again. Plain writers that replace files one
// by one are not helped (nothing groups their writes); their next write triggers a reload.
template <typename Load>
CertificateBundle load_consistently(const std::vector<std::string>& paths, Load load) {
  // Each attempt that saw a swap is retried; a writer that swaps faster than we read (tests swap
  // every 100 ms, and a sanitizer build reads 10x slower) still leaves gaps to read in.
  constexpr int kAttempts = 8;
  for (int attempt = 1;; ++attempt) {
    const std::vector<std::string> before = resolve_all(paths);
    try {
      CertificateBundle b = load();
      if (attempt == kAttempts || resolve_all(paths) == before) return b;
    } catch (const std::exception&) {
      if (attempt == kAttempts || resolve_all(paths) == before) throw;
    }
  }
}

class FileSource : public CertificateSource {
 public:
  FileSource(const config::Config& c, aws::Environment env)
      : identity_(c.identity.file), trust_(c.trust), aws_(std::move(env)) {}

  CertificateBundle load() override {
    return load_consistently(watched_files(), [this] {
      config::FileIdentity identity = identity_;
      config::TrustConfig trust = trust_;
      for (std::string* path : {&identity.cert, &identity.key, &identity.key_passphrase_file,
                                &identity.ocsp_response, &trust.ca_bundle, &trust.crl}) {
        if (path != &identity.key || !is_pkcs11_uri(identity.key)) *path = resolve(*path);
      }
      for (config::TrustDomainBundle& domain : trust.domains)
        domain.ca_bundle = resolve(domain.ca_bundle);
      return load_once(identity, trust);
    });
  }
  std::string name() const override { return "file"; }
  std::vector<std::string> watched_files() const override {
    return present({identity_.cert, key_file(), identity_.key_passphrase_file,
                    identity_.ocsp_response, trust_.ca_bundle, trust_.crl},
                   trust_);
  }

 private:
  // The file behind the key: the key file, or a PKCS#11 key's PIN file (a new PIN is read with
  // it); a key in a token changes only with the certificate, which is watched.
  std::string key_file() const {
    if (!is_pkcs11_uri(identity_.key)) return identity_.key;
    try {
      return parse_pkcs11_uri(identity_.key).pin_file;
    } catch (const std::exception&) {
      return {};  // load() says what is wrong with the URI
    }
  }

  EvpPkeyPtr load_key(const config::FileIdentity& identity, const std::string& passphrase) {
    if (is_pkcs11_uri(identity.key)) {
      if (identity.key_kms)
        throw std::runtime_error("a pkcs11: key stays in its token; key_kms applies to key files");
      return load_pkcs11_key(identity.key);
    }
    if (identity.key_kms) return aws_.load_kms_key(identity.key);
    try {
      return load_private_key(identity.key, passphrase);
    } catch (const std::exception&) {
      if (aws::looks_like_envelope(read_file(identity.key)))
        throw std::runtime_error(identity.key +
                                 ": is a KMS envelope (mtls-sidecar kms-wrap); set "
                                 "identity.file.key_kms: true to have KMS unwrap it");
      throw;
    }
  }

  CertificateBundle load_once(const config::FileIdentity& identity,
                              const config::TrustConfig& trust) {
    CertificateBundle b;
    b.source = "file";
    b.origin = identity_.cert;
    b.cert_from = {"identity.file.cert", identity.cert};
    b.key_from = {"identity.file.key",
                  is_pkcs11_uri(identity.key) ? pkcs11_key_name(identity.key) : identity.key};
    std::vector<X509Ptr> certs =
        attribute_to("identity.file.cert", [&] { return load_certificates(identity.cert); });
    b.leaf = std::move(certs.front());
    for (std::size_t i = 1; i < certs.size(); ++i) b.chain.push_back(std::move(certs[i]));
    const Secret pass{
        attribute_to(passphrase_field("identity.file", identity.key_passphrase_file), [&] {
          return read_passphrase(identity.key_passphrase_file, identity.key_passphrase_env);
        })};
    b.key = attribute_to("identity.file.key", [&] { return load_key(identity, pass.text); });
    load_trust(trust, &aws_, b);
    load_staple(identity, b);
    return b;
  }

  // The staple is checked by make_tls_contexts, with the rest of the bundle.
  void load_staple(const config::FileIdentity& identity, CertificateBundle& b) {
    if (!identity.ocsp_response.empty()) {
      b.ocsp_from = {"identity.file.ocsp_response", identity.ocsp_response};
      b.ocsp_response =
          attribute_to(b.ocsp_from.field, [&] { return read_file(identity.ocsp_response); });
    } else if (identity.ocsp_fetch) {
      const std::string url = ocsp_url(b.leaf.get());
      b.ocsp_from = {"identity.file.ocsp_fetch", url.empty() ? identity.cert : url};
      if (!http_) http_ = std::make_unique<aws::BeastHttpClient>();
      b.ocsp_response = attribute_to(b.ocsp_from.field, [&] {
        return fetch_ocsp_response(url, b.leaf.get(), leaf_issuer(b), *http_);
      });
    }
  }

  config::FileIdentity identity_;
  config::TrustConfig trust_;
  AwsBacked aws_;
  std::unique_ptr<aws::HttpClient> http_;  // the OCSP responder's, made at the first fetch
};

class LocalCaSource : public CertificateSource {
 public:
  LocalCaSource(const config::Config& c, aws::Environment env)
      : ca_(c.identity.local_ca), trust_(c.trust), aws_(std::move(env)) {}

  CertificateBundle load() override {
    return load_consistently(watched_files(), [this] { return load_once(); });
  }
  std::string name() const override { return "local_ca"; }
  // A new ca.crt/ca.key (CA rotation) is picked up like any other file change.
  std::vector<std::string> watched_files() const override {
    const std::filesystem::path dir(ca_.dir);
    return present({(dir / "ca.crt").string(), (dir / "ca.key").string(), ca_.key_passphrase_file,
                    trust_.ca_bundle, trust_.crl},
                   trust_);
  }

 private:
  CertificateBundle load_once() {
    const std::string dir_field = "identity.local_ca.dir";
    std::error_code ec;
    if (!std::filesystem::is_directory(ca_.dir, ec)) {
      throw LoadError(dir_field, ca_.dir +
                                     ": no such directory; create the CA with `mtls-sidecar "
                                     "ca init --dir " +
                                     ca_.dir + "`");
    }
    const Secret pass{attribute_to(
        passphrase_field("identity.local_ca", ca_.key_passphrase_file),
        [&] { return read_passphrase(ca_.key_passphrase_file, ca_.key_passphrase_env); })};
    const LocalCa ca = attribute_to(dir_field, [&] { return LocalCa::open(ca_.dir, pass.text); });
    LeafRequest request;
    request.spiffe_id = ca_.spiffe_id;
    request.dns_names = ca_.dns_names;
    request.ttl = std::chrono::duration_cast<std::chrono::seconds>(ca_.ttl);
    IssuedCertificate issued =
        attribute_to("identity.local_ca.spiffe_id", [&] { return ca.issue(request); });

    CertificateBundle b;
    b.source = "local_ca";
    b.origin = "local CA " + ca_.dir;
    b.cert_from = b.key_from = {dir_field, ca_.dir};
    b.trust_from = {dir_field, (std::filesystem::path(ca_.dir) / "ca.crt").string()};
    b.leaf = std::move(issued.cert);
    b.key = std::move(issued.key);
    b.chain.push_back(share(ca.certificate()));
    load_trust(trust_, &aws_, b);
    if (b.trust.empty()) b.trust.push_back(share(ca.certificate()));
    return b;
  }

  config::LocalCaIdentity ca_;
  config::TrustConfig trust_;
  AwsBacked aws_;
};

}  // namespace

void load_trust(const config::TrustConfig& trust, AwsBacked* aws, CertificateBundle& bundle) {
  if (!trust.ca_bundle.empty()) {
    bundle.trust_from = {"trust.ca_bundle", trust.ca_bundle};
    bundle.trust =
        attribute_to("trust.ca_bundle", [&] { return load_certificates(trust.ca_bundle); });
  }
  // The Private CA's roots join ca_bundle's: both belong to our own trust domain, so a bundle
  // can carry the old root while the CA moves (or trust a second CA) during a migration.
  if (aws && !trust.acm_pca_arn.empty()) {
    if (trust.ca_bundle.empty()) bundle.trust_from = {"trust.acm_pca_arn", trust.acm_pca_arn};
    for (X509Ptr& root :
         attribute_to("trust.acm_pca_arn", [&] { return aws->acm_pca_roots(trust.acm_pca_arn); }))
      bundle.trust.push_back(std::move(root));
  }
  for (const config::TrustDomainBundle& domain : trust.domains) {
    bundle.domains.push_back({domain.domain,
                              attribute_to("trust.domains." + domain.domain,
                                           [&] { return load_certificates(domain.ca_bundle); }),
                              domain.ca_bundle});
  }
  if (!trust.crl.empty())
    bundle.crls = attribute_to("trust.crl", [&] { return load_crls(trust.crl); });
  bundle.accept_stale_crl = trust.crl_stale == config::CrlStale::warn;
  bundle.ocsp = trust.ocsp;
}

std::unique_ptr<CertificateSource> make_file_source(const config::Config& config,
                                                    aws::Environment aws_env) {
  return std::make_unique<FileSource>(config, aws_env ? aws_env : aws::process_environment());
}

std::unique_ptr<CertificateSource> make_local_ca_source(const config::Config& config,
                                                        aws::Environment aws_env) {
  return std::make_unique<LocalCaSource>(config, aws_env ? aws_env : aws::process_environment());
}

std::unique_ptr<CertificateSource> make_source(const config::Config& config,
                                               aws::Environment aws_env) {
  switch (config.identity.source) {
    case config::IdentitySource::file:
      return make_file_source(config, std::move(aws_env));
    case config::IdentitySource::local_ca:
      return make_local_ca_source(config, std::move(aws_env));
    case config::IdentitySource::acm:
      break;
  }
  return make_acm_source(config, aws_env ? std::move(aws_env) : aws::process_environment());
}

}  // namespace mtls::certs
