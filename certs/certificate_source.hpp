#pragma once
// Where identity material comes from (DESIGN.md §4). load() reads everything afresh and returns a
// complete bundle or throws naming the file and reason. Used from one thread only (the loader).

#include <memory>
#include <string>
#include <vector>

#include "certs/aws/environment.hpp"
#include "certs/certificate_bundle.hpp"
#include "config/config.hpp"

namespace mtls::certs {

class CertificateSource {
 public:
  virtual ~CertificateSource() = default;
  virtual CertificateBundle load() = 0;
  virtual std::string name() const = 0;  // "file" | "local_ca" | "acm"
  // Every file load() reads (identity, passphrase, trust bundle, CRL): a change to any of them
  // triggers a reload (certs/file_watcher.hpp). Empty for sources that read no files.
  virtual std::vector<std::string> watched_files() const { return {}; }
};

// `aws_env`: where AWS settings (credentials, endpoints, AWS_CA_BUNDLE) are read for a KMS-wrapped
// key or trust.acm_pca_arn; empty: the process environment. Tests give a map.
//
// identity.source file: cert/key (key optionally encrypted PKCS#8, or a KMS envelope with
// key_kms) + trust.ca_bundle + trust.acm_pca_arn's roots + trust.crl.
std::unique_ptr<CertificateSource> make_file_source(const config::Config& config,
                                                    aws::Environment aws_env = {});
// identity.source local_ca: issues a fresh leaf from the CA directory on every load(); trust is
// trust.ca_bundle (and trust.acm_pca_arn's roots) when set, else the local CA's own certificate.
std::unique_ptr<CertificateSource> make_local_ca_source(const config::Config& config,
                                                        aws::Environment aws_env = {});
// Picks by config.identity.source; throws for a source this build does not provide.
std::unique_ptr<CertificateSource> make_source(const config::Config& config,
                                               aws::Environment aws_env = {});

}  // namespace mtls::certs
