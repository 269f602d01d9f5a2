#include <openssl/err.h>

#include <stdexcept>

#include "certs/certificate_bundle.hpp"
#include "certs/load_error.hpp"

namespace mtls::certs {
namespace {

struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using StackPtr = std::unique_ptr<STACK_OF(X509), StackFree>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>>;

[[noreturn]] void fail(const CertificateBundle::From& at, const std::string& why) {
  throw LoadError(at.field, at.path + ": " + why);
}

}  // namespace

std::vector<X509*> all_anchors(const CertificateBundle& b) {
  std::vector<X509*> out;
  for (const auto& anchor : b.trust) out.push_back(anchor.get());
  for (const DomainRoots& domain : b.domains) {
    for (const auto& root : domain.roots) out.push_back(root.get());
  }
  return out;
}

void validate_bundle(const CertificateBundle& b) {
  if (!b.leaf) fail(b.cert_from, "no certificate");
  if (!b.key) fail(b.key_from, "no private key");
  if (b.trust.empty()) fail(b.trust_from, "no trust anchors");
  ERR_clear_error();
  if (X509_check_private_key(b.leaf.get(), b.key.get()) != 1) {
    ERR_clear_error();
    fail(b.key_from, "private key does not match the certificate " + b.cert_from.path);
  }
  if (X509_cmp_current_time(X509_get0_notBefore(b.leaf.get())) > 0)
    fail(b.cert_from, "certificate is not yet valid");
  if (X509_cmp_current_time(X509_get0_notAfter(b.leaf.get())) < 0)
    fail(b.cert_from, "certificate has expired");

  X509StorePtr store(X509_STORE_new());
  for (const auto& anchor : b.trust) X509_STORE_add_cert(store.get(), anchor.get());
  StackPtr untrusted(sk_X509_new_null());
  for (const auto& c : b.chain) sk_X509_push(untrusted.get(), c.get());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), b.leaf.get(), untrusted.get());
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    fail(b.cert_from, "certificate does not chain to the trust bundle " + b.trust_from.path + ": " +
                          X509_verify_cert_error_string(err));
  }
}

}  // namespace mtls::certs
