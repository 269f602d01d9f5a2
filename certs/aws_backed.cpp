#include "certs/aws_backed.hpp"

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "certs/aws/acm_pca_client.hpp"
#include "certs/aws/kms_client.hpp"
#include "certs/load_error.hpp"
#include "certs/pem.hpp"

namespace mtls::certs {

AwsBacked::AwsBacked(aws::Environment env) : env_(std::move(env)) {}
AwsBacked::~AwsBacked() = default;

aws::AwsContext& AwsBacked::context() {
  if (!context_) context_ = std::make_unique<aws::AwsContext>(env_);
  return *context_;
}

EvpPkeyPtr AwsBacked::load_kms_key(const std::string& path) {
  const std::string text = read_file(path);
  try {
    // A plain PEM key here would be served as if KMS protected it: refused, with what to do.
    if (!aws::looks_like_envelope(text))
      throw std::runtime_error(
          "not a KMS envelope, but identity.file.key_kms is true (wrap the key with "
          "mtls-sidecar kms-wrap, or set key_kms: false)");
    const aws::SecretBytes der = aws::kms_unwrap(context(), text);
    const auto* p = reinterpret_cast<const unsigned char*>(der.bytes().data());
    EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, long(der.bytes().size())));
    if (!key) throw std::runtime_error("the envelope's plaintext is not a PKCS#8 private key");
    return key;
  } catch (const std::exception& e) {
    throw LoadError("identity.file.key", "identity.file.key (key_kms): " + path + ": " + e.what());
  }
}

std::string AwsBacked::wrap_key(EVP_PKEY* key, const std::string& key_id, const std::string& region,
                                const aws::EncryptionContext& encryption_context) {
  using Pkcs8 = std::unique_ptr<PKCS8_PRIV_KEY_INFO, decltype(&PKCS8_PRIV_KEY_INFO_free)>;
  const Pkcs8 info(EVP_PKEY2PKCS8(key), PKCS8_PRIV_KEY_INFO_free);
  unsigned char* der = nullptr;
  const int size = info ? i2d_PKCS8_PRIV_KEY_INFO(info.get(), &der) : -1;
  if (size <= 0) throw std::runtime_error("cannot encode the private key as PKCS#8");
  const aws::SecretBytes plain{std::string(reinterpret_cast<char*>(der), std::size_t(size))};
  OPENSSL_clear_free(der, std::size_t(size));
  return aws::kms_wrap(context(), region, key_id, encryption_context, plain.bytes());
}

std::vector<X509Ptr> AwsBacked::acm_pca_roots(const std::string& ca_arn) {
  aws::CaCertificate ca;
  try {
    ca = aws::get_ca_certificate(context(), ca_arn);
  } catch (const std::exception& e) {
    throw LoadError("trust.acm_pca_arn", std::string("trust.acm_pca_arn: ") + e.what());
  }
  std::vector<X509Ptr> roots = parse_certificates(ca.certificate, ca_arn + " Certificate");
  if (!ca.chain.empty()) {
    for (X509Ptr& c : parse_certificates(ca.chain, ca_arn + " CertificateChain"))
      roots.push_back(std::move(c));
  }
  return roots;
}

}  // namespace mtls::certs
