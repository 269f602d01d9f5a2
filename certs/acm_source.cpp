#include "certs/acm_source.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "certs/aws/acm_client.hpp"
#include "certs/aws/beast_http_client.hpp"
#include "certs/aws/remote_credentials.hpp"
#include "certs/aws_backed.hpp"
#include "certs/load_error.hpp"
#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "metrics/log.hpp"

namespace mtls::certs {
namespace {

constexpr const char* kArnField = "identity.acm.certificate_arn";

// "0a:1B:00" and "0A1B00" alike: upper-case hex digits, no separators, no leading zeros.
std::string normal_serial(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      if (out.empty() && c == '0') continue;
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out.empty() ? "0" : out;
}

// arn:PARTITION:acm:REGION:ACCOUNT:certificate/ID -> REGION
std::string arn_region(const std::string& arn) {
  std::size_t at = 0;
  for (int field = 0; field < 3 && at != std::string::npos; ++field) at = arn.find(':', at + 1);
  if (at == std::string::npos) return "";
  const std::size_t end = arn.find(':', at + 1);
  return end == std::string::npos ? "" : arn.substr(at + 1, end - at - 1);
}

// What ExportCertificate gave us, decrypted; kept between loads so that only a renewal exports.
struct Identity {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;
  EvpPkeyPtr key;
  std::string serial;  // normal_serial
  std::time_t not_after = 0;
};

class AcmSource : public CertificateSource {
 public:
  AcmSource(const config::Config& c, aws::Environment env)
      : acm_(c.identity.acm),
        trust_(c.trust),
        target_(resolve_acm_target(acm_, env)),
        http_(attribute_to(kArnField,
                           [&] {
                             try {
                               return std::make_unique<aws::BeastHttpClient>(target_.ca_bundle);
                             } catch (const std::exception& e) {
                               throw std::runtime_error("AWS_CA_BUNDLE " + target_.ca_bundle +
                                                        ": " + e.what());
                             }
                           })),
        credentials_(aws::default_credential_chain(env, *http_)),
        json_(aws::kAcm, "CertificateManager", aws::parse_url(target_.endpoint), target_.region,
              credentials_, *http_),
        client_(json_),
        aws_(env) {
    // A trust file that is missing now is a start-up error, as with the other sources. The
    // Private CA is not asked here: check-config builds a source and must not call AWS.
    CertificateBundle probe;
    load_trust(trust_, nullptr, probe);
  }

  CertificateBundle load() override {
    if (!identity_ || stale_) export_identity();
    CertificateBundle b;
    b.source = "acm";
    b.origin = acm_.certificate_arn;
    b.cert_from = b.key_from = {kArnField, acm_.certificate_arn};
    b.leaf = share(identity_->leaf.get());
    for (const X509Ptr& c : identity_->chain) b.chain.push_back(share(c.get()));
    EVP_PKEY_up_ref(identity_->key.get());
    b.key.reset(identity_->key.get());
    load_trust(trust_, &aws_, b);
    return b;
  }

  bool remote_changed() override {
    if (!identity_) return true;
    const aws::AcmCertificateInfo info = attribute_to(kArnField, [&] {
      try {
        return client_.describe_certificate(acm_.certificate_arn);
      } catch (const std::exception& e) {
        throw std::runtime_error("ACM " + acm_.certificate_arn + ": " + e.what());
      }
    });
    const bool serial_changed = normal_serial(info.serial) != identity_->serial;
    const bool expiry_changed = info.not_after && *info.not_after != identity_->not_after;
    if (serial_changed || expiry_changed) {
      log::info("ACM " + acm_.certificate_arn + ": DescribeCertificate reports serial " +
                info.serial + " (status " + info.status + "); serving " + identity_->serial +
                ": exporting it");
      stale_ = true;
    }
    return stale_;
  }

  bool retries_first_load() const override { return true; }
  std::string name() const override { return "acm"; }
  std::vector<std::string> watched_files() const override {
    std::vector<std::string> out;
    for (const std::string& p : {trust_.ca_bundle, trust_.crl})
      if (!p.empty()) out.push_back(p);
    for (const config::TrustDomainBundle& d : trust_.domains) out.push_back(d.ca_bundle);
    return out;
  }

 private:
  void export_identity() {
    attribute_to(kArnField, [&] {
      try {
        export_once();
      } catch (const std::exception& e) {
        throw std::runtime_error("ACM " + acm_.certificate_arn + " (" + target_.endpoint +
                                 "): " + e.what());
      }
    });
  }

  void export_once() {
    std::string passphrase = aws::random_export_passphrase();
    aws::Wipe wipe{passphrase};
    const aws::AcmExport exported = client_.export_certificate(acm_.certificate_arn, passphrase);
    auto next = std::make_unique<Identity>();
    std::vector<X509Ptr> leaf = parse_certificates(exported.certificate, "Certificate");
    next->leaf = std::move(leaf.front());
    for (std::size_t i = 1; i < leaf.size(); ++i) next->chain.push_back(std::move(leaf[i]));
    if (!exported.certificate_chain.empty()) {
      for (X509Ptr& c : parse_certificates(exported.certificate_chain, "CertificateChain"))
        next->chain.push_back(std::move(c));
    }
    next->key = parse_private_key(exported.private_key, "PrivateKey", passphrase);
    next->serial = normal_serial(serial_hex(next->leaf.get()));
    next->not_after = to_time_t(X509_get0_notAfter(next->leaf.get()));
    identity_ = std::move(next);
    stale_ = false;
  }

  config::AcmIdentity acm_;
  config::TrustConfig trust_;
  AcmTarget target_;
  std::unique_ptr<aws::BeastHttpClient> http_;  // before the chain and client that use it
  aws::CachedCredentials credentials_;
  aws::JsonServiceClient json_;
  aws::AcmClient client_;
  AwsBacked aws_;  // trust.acm_pca_arn's roots
  std::unique_ptr<Identity> identity_;
  bool stale_ = false;
};

}  // namespace

AcmTarget resolve_acm_target(const config::AcmIdentity& acm, const aws::Environment& env) {
  AcmTarget t;
  if (auto r = aws::resolve_region(acm.region, env)) {
    t.region = r->region;
    t.region_from = r->source;
  } else {
    t.region = arn_region(acm.certificate_arn);
    t.region_from = "the certificate ARN";
  }
  if (t.region.empty()) {
    throw LoadError("identity.acm.region",
                    "no AWS region: set identity.acm.region or AWS_REGION, or use a full ARN");
  }
  try {
    const aws::ResolvedEndpoint e = aws::resolve_endpoint(aws::kAcm, acm.endpoint, t.region, env);
    t.endpoint = e.url.scheme + "://" + e.url.host_header() + (e.url.path == "/" ? "" : e.url.path);
    t.endpoint_from = e.source;
  } catch (const std::invalid_argument& e) {
    throw LoadError(acm.endpoint.empty() ? "identity.acm.region" : "identity.acm.endpoint",
                    e.what());
  }
  t.ca_bundle = env("AWS_CA_BUNDLE").value_or("");
  return t;
}

std::unique_ptr<CertificateSource> make_acm_source(const config::Config& config,
                                                   aws::Environment env) {
  return std::make_unique<AcmSource>(config, std::move(env));
}

}  // namespace mtls::certs
