#pragma once
// Identity material that comes through AWS for the file and local_ca sources: a KMS-wrapped key
// file (identity.file.key_kms) and the roots of an ACM Private CA (trust.acm_pca_arn). Holds the
// AWS client state (credentials cache, signer), built on first use, so a config using neither
// never reads AWS settings. Blocking calls: the loader thread (or the CLI) only; not thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "certs/aws/environment.hpp"
#include "certs/aws/kms_envelope.hpp"
#include "certs/openssl_ptr.hpp"

namespace mtls::certs {
namespace aws {
struct AwsContext;
}

class AwsBacked {
 public:
  explicit AwsBacked(aws::Environment env);
  ~AwsBacked();
  AwsBacked(const AwsBacked&) = delete;
  AwsBacked& operator=(const AwsBacked&) = delete;

  // Reads the envelope at `path`, has KMS unwrap its data key and decrypts the key in memory;
  // every plaintext byte is wiped before this returns. Throws naming `path` and the step.
  EvpPkeyPtr load_kms_key(const std::string& path);
  // The CA's certificate and the chain above it (GetCertificateAuthorityCertificate).
  std::vector<X509Ptr> acm_pca_roots(const std::string& ca_arn);
  // The envelope of `key` (as PKCS#8) under a fresh data key of `key_id` (ARN, id or alias).
  // `region`: where KMS is called; empty: the key ARN's, else the environment's.
  std::string wrap_key(EVP_PKEY* key, const std::string& key_id, const std::string& region,
                       const aws::EncryptionContext& encryption_context);

 private:
  aws::AwsContext& context();
  aws::Environment env_;
  std::unique_ptr<aws::AwsContext> context_;
};

}  // namespace mtls::certs
