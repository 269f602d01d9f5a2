#pragma once
// ACM Private CA through JSON 1.1 (ACMPrivateCA): GetCertificateAuthorityCertificate, the CA's
// certificate and the chain above it, as trust roots (trust.acm_pca_arn). Blocking:
// JsonServiceClient's rules.

#include <string>

#include "certs/aws/json_client.hpp"

namespace mtls::certs::aws {

struct CaCertificate {
  std::string certificate;  // PEM: the CA's own certificate
  std::string chain;        // PEM: the certificates above it up to the root; empty for a root CA
};

// Called in the ARN's region (arn:aws:acm-pca:REGION:...), at AWS_ENDPOINT_URL_ACM_PCA >
// AWS_ENDPOINT_URL > https://acm-pca.<region>.amazonaws.com. Throws AwsCallError (with the ARN in
// its message) or CredentialsError.
CaCertificate get_ca_certificate(AwsContext& aws, const std::string& ca_arn);

}  // namespace mtls::certs::aws
