#pragma once
// identity.source acm: the identity is an exportable ACM certificate (ACM Private CA, or a
// public certificate issued as exportable). load() calls ExportCertificate with a fresh random
// passphrase, decrypts the returned PKCS#8 key in memory (never on disk) and bundles it with
// Certificate + CertificateChain and the trust files; later loads reuse that identity (only the
// trust files are read again) until remote_changed() saw DescribeCertificate report another
// Serial or NotAfter (ACM renewed it). Construction only resolves what it can locally (region,
// endpoint, CA bundle, trust files): check-config builds one and calls nothing.
// Used from one thread (the loader), as every CertificateSource.

#include <memory>

#include "certs/aws/environment.hpp"
#include "certs/certificate_source.hpp"

namespace mtls::certs {

// Where the calls go, resolved from the config and the environment as the AWS SDKs do:
//   region   identity.acm.region > AWS_REGION > AWS_DEFAULT_REGION > profile region > the ARN's
//   endpoint identity.acm.endpoint > AWS_ENDPOINT_URL_ACM > AWS_ENDPOINT_URL > regional default
//   CA       AWS_CA_BUNDLE, else the system store
// Throws LoadError at the field to blame.
struct AcmTarget {
  std::string region, region_from;
  std::string endpoint, endpoint_from;
  std::string ca_bundle;
};
AcmTarget resolve_acm_target(const config::AcmIdentity& acm, const aws::Environment& env);

std::unique_ptr<CertificateSource> make_acm_source(const config::Config& config,
                                                   aws::Environment env);

}  // namespace mtls::certs
