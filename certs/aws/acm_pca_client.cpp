#include "certs/aws/acm_pca_client.hpp"

#include <boost/json.hpp>

namespace mtls::certs::aws {
namespace {

namespace json = boost::json;

std::string region_of(const std::string& arn) {
  // arn:PARTITION:acm-pca:REGION:ACCOUNT:certificate-authority/ID (checked by the config loader)
  std::size_t at = 0;
  for (int colon = 0; colon < 3 && at != std::string::npos; ++colon) at = arn.find(':', at + 1);
  const std::size_t end = at == std::string::npos ? at : arn.find(':', at + 1);
  if (end == std::string::npos || end == at + 1)
    throw AwsCallError("GetCertificateAuthorityCertificate", "",
                       arn + ": not an ACM Private CA ARN with a region", 0);
  return arn.substr(at + 1, end - at - 1);
}

}  // namespace

CaCertificate get_ca_certificate(AwsContext& aws, const std::string& ca_arn) {
  const std::string region = region_of(ca_arn);
  JsonServiceClient pca(kAcmPca, "ACMPrivateCA", endpoint_for(kAcmPca, region, aws.env), region,
                        aws.credentials, *aws.http);
  json::object reply;
  try {
    reply = pca.call_object("GetCertificateAuthorityCertificate",
                            {{"CertificateAuthorityArn", ca_arn}});
  } catch (const AwsCallError& e) {
    throw AwsCallError("ACM-PCA GetCertificateAuthorityCertificate " + ca_arn, e.code(),
                       e.message(), e.status());
  }
  CaCertificate out;
  if (const auto* c = reply.if_contains("Certificate"); c && c->is_string())
    out.certificate = c->as_string();
  if (const auto* c = reply.if_contains("CertificateChain"); c && c->is_string())
    out.chain = c->as_string();
  if (out.certificate.empty())
    throw AwsCallError("ACM-PCA GetCertificateAuthorityCertificate " + ca_arn, "",
                       "reply has no Certificate (is the CA still PENDING_CERTIFICATE?)", 200);
  return out;
}

}  // namespace mtls::certs::aws
