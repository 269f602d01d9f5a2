#pragma once
// Where identity material comes from (DESIGN.md §4). load() reads everything afresh and returns a
// complete bundle or throws naming the file and reason. Used from one thread only (the loader).

#include <memory>
#include <string>
#include <vector>

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

// trust.ca_bundle, trust.domains and trust.crl into `bundle` (every source's trust side). Throws
// LoadError at the field of the file at fault.
void load_trust(const config::TrustConfig& trust, CertificateBundle& bundle);

// identity.source file: cert/key (key optionally encrypted PKCS#8) + trust.ca_bundle + trust.crl.
std::unique_ptr<CertificateSource> make_file_source(const config::Config& config);
// identity.source local_ca: issues a fresh leaf from the CA directory on every load(); trust is
// trust.ca_bundle when set, else the local CA's own certificate.
std::unique_ptr<CertificateSource> make_local_ca_source(const config::Config& config);
// identity.source acm: ExportCertificate / DescribeCertificate (certs/acm_source.hpp).
std::unique_ptr<CertificateSource> make_acm_source(const config::Config& config);
// Picks by config.identity.source.
std::unique_ptr<CertificateSource> make_source(const config::Config& config);

}  // namespace mtls::certs
