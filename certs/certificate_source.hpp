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
  // Sources whose identity lives in a remote service (acm): asks it, cheaply, whether the
  // identity changed since the last load() (a renewal), so that the next load() fetches it.
  // Throws with the service's error. Sources of files leave this to the file watcher.
  virtual bool remote_changed() { return false; }
  // A remote source keeps serving nothing until its first load succeeds: the sidecar starts
  // (admin up, /ready 503 with the error) and retries instead of exiting.
  virtual bool retries_first_load() const { return false; }
};

class AwsBacked;

// trust.ca_bundle, trust.domains, trust.crl and, with `aws`, trust.acm_pca_arn's roots into
// `bundle` (every source's trust side). Throws LoadError at the field of the file at fault.
// `aws` null: the roots of the Private CA are left out (a check that must not call AWS).
void load_trust(const config::TrustConfig& trust, AwsBacked* aws, CertificateBundle& bundle);

// `aws_env`: where AWS settings (credentials, endpoints, AWS_CA_BUNDLE) are read for an acm
// identity, a KMS-wrapped key or trust.acm_pca_arn; empty: the process environment. Tests give a
// map.
//
// identity.source file: cert/key (key optionally encrypted PKCS#8, or a KMS envelope with
// key_kms) + trust.ca_bundle + trust.acm_pca_arn's roots + trust.crl.
std::unique_ptr<CertificateSource> make_file_source(const config::Config& config,
                                                    aws::Environment aws_env = {});
// identity.source local_ca: issues a fresh leaf from the CA directory on every load(); trust is
// trust.ca_bundle (and trust.acm_pca_arn's roots) when set, else the local CA's own certificate.
std::unique_ptr<CertificateSource> make_local_ca_source(const config::Config& config,
                                                        aws::Environment aws_env = {});
// Picks by config.identity.source (acm: ExportCertificate / DescribeCertificate,
// certs/acm_source.hpp).
std::unique_ptr<CertificateSource> make_source(const config::Config& config,
                                               aws::Environment aws_env = {});

}  // namespace mtls::certs
