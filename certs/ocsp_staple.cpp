#include "certs/ocsp_staple.hpp"

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "certs/load_error.hpp"

namespace mtls::certs {
namespace {

int staple_status_callback(SSL* ssl, void* arg) {
  const auto* der = static_cast<const std::string*>(arg);
  if (der == nullptr || der->empty()) return SSL_TLSEXT_ERR_NOACK;
  // OpenSSL takes ownership of the copy and frees it with the SSL.
  auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(der->data(), der->size()));
  if (copy == nullptr) return SSL_TLSEXT_ERR_NOACK;
  if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, long(der->size())) != 1) {
    OPENSSL_free(copy);
    return SSL_TLSEXT_ERR_NOACK;
  }
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

std::string ocsp_url(X509* leaf) {
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(leaf);
  std::string out = urls && sk_OPENSSL_STRING_num(urls) > 0 ? sk_OPENSSL_STRING_value(urls, 0) : "";
  X509_email_free(urls);  // OpenSSL's free for the list X509_get1_ocsp returns
  return out;
}

X509* leaf_issuer(const CertificateBundle& bundle) {
  X509* leaf = bundle.leaf.get();
  for (const X509Ptr& c : bundle.chain)
    if (X509_check_issued(c.get(), leaf) == X509_V_OK) return c.get();
  for (X509* anchor : all_anchors(bundle))
    if (X509_check_issued(anchor, leaf) == X509_V_OK) return anchor;
  return nullptr;
}

OcspStatus check_own_staple(const CertificateBundle& bundle, std::time_t now) {
  return attribute_to(bundle.ocsp_from.field, [&] {
    X509* issuer = leaf_issuer(bundle);
    if (issuer == nullptr)
      throw std::runtime_error(bundle.ocsp_from.path +
                               ": the certificate's issuer is neither in its chain nor among the "
                               "trusted roots, so its OCSP response cannot be checked");
    const BorrowedX509Stack chain(sk_X509_new_null());
    for (const X509Ptr& c : bundle.chain) sk_X509_push(chain.get(), c.get());
    const X509StorePtr anchors = make_ocsp_store(all_anchors(bundle));
    try {
      return check_ocsp_response(bundle.ocsp_response, bundle.leaf.get(), issuer, chain.get(),
                                 anchors.get(), now);
    } catch (const OcspResponseError& e) {
      throw std::runtime_error(bundle.ocsp_from.path + ": " + e.what());
    }
  });
}

std::chrono::seconds staple_refresh_delay(const OcspStatus& status, std::time_t now) {
  using std::chrono::seconds;
  if (status.next_update == 0) return std::chrono::hours(1);
  return std::max(seconds(5), seconds((status.next_update - now) / 2));
}

void serve_staple(SSL_CTX* server, const std::string* der) {
  SSL_CTX_set_tlsext_status_cb(server, &staple_status_callback);
  SSL_CTX_set_tlsext_status_arg(server, const_cast<std::string*>(der));
}

}  // namespace mtls::certs
