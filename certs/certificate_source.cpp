#include "certs/certificate_source.hpp"

#include <openssl/crypto.h>

#include <stdexcept>

#include "certs/local_ca.hpp"
#include "certs/pem.hpp"

namespace mtls::certs {
namespace {

// Passphrases are wiped as soon as the key is decrypted.
struct Secret {
  std::string text;
  ~Secret() { OPENSSL_cleanse(text.data(), text.size()); }
};

void load_trust(const config::TrustConfig& trust, CertificateBundle& bundle) {
  if (!trust.ca_bundle.empty()) bundle.trust = load_certificates(trust.ca_bundle);
  if (!trust.crl.empty()) bundle.crls = load_crls(trust.crl);
}

class FileSource : public CertificateSource {
 public:
  explicit FileSource(const config::Config& c) : identity_(c.identity.file), trust_(c.trust) {}

  CertificateBundle load() override {
    CertificateBundle b;
    b.source = "file";
    b.origin = identity_.cert;
    std::vector<X509Ptr> certs = load_certificates(identity_.cert);
    b.leaf = std::move(certs.front());
    for (std::size_t i = 1; i < certs.size(); ++i) b.chain.push_back(std::move(certs[i]));
    const Secret pass{read_passphrase(identity_.key_passphrase_file, identity_.key_passphrase_env)};
    b.key = load_private_key(identity_.key, pass.text);
    load_trust(trust_, b);
    return b;
  }
  std::string name() const override { return "file"; }

 private:
  config::FileIdentity identity_;
  config::TrustConfig trust_;
};

class LocalCaSource : public CertificateSource {
 public:
  explicit LocalCaSource(const config::Config& c) : ca_(c.identity.local_ca), trust_(c.trust) {}

  CertificateBundle load() override {
    const Secret pass{read_passphrase(ca_.key_passphrase_file, ca_.key_passphrase_env)};
    const LocalCa ca = LocalCa::open(ca_.dir, pass.text);
    LeafRequest request;
    request.spiffe_id = ca_.spiffe_id;
    request.dns_names = ca_.dns_names;
    request.ttl = std::chrono::duration_cast<std::chrono::seconds>(ca_.ttl);
    IssuedCertificate issued = ca.issue(request);

    CertificateBundle b;
    b.source = "local_ca";
    b.origin = "local CA " + ca_.dir;
    b.leaf = std::move(issued.cert);
    b.key = std::move(issued.key);
    b.chain.push_back(share(ca.certificate()));
    load_trust(trust_, b);
    if (b.trust.empty()) b.trust.push_back(share(ca.certificate()));
    return b;
  }
  std::string name() const override { return "local_ca"; }

 private:
  config::LocalCaIdentity ca_;
  config::TrustConfig trust_;
};

}  // namespace

std::unique_ptr<CertificateSource> make_file_source(const config::Config& config) {
  return std::make_unique<FileSource>(config);
}

std::unique_ptr<CertificateSource> make_local_ca_source(const config::Config& config) {
  return std::make_unique<LocalCaSource>(config);
}

std::unique_ptr<CertificateSource> make_source(const config::Config& config) {
  switch (config.identity.source) {
    case config::IdentitySource::file: return make_file_source(config);
    case config::IdentitySource::local_ca: return make_local_ca_source(config);
    case config::IdentitySource::acm: break;
  }
  throw std::runtime_error("identity.source acm: not available in this build yet");
}

}  // namespace mtls::certs
