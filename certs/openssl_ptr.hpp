#pragma once
// unique_ptr aliases for the OpenSSL objects we own. Free functions are OpenSSL's own.

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

namespace mtls::certs {

template <auto Free>
struct OpenSslDeleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, OpenSslDeleter<X509_CRL_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpenSslDeleter<SSL_free>>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, OpenSslDeleter<SSL_SESSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>>;

// Shares ownership of an X509 we do not own (X509_up_ref).
inline X509Ptr share(X509* cert) {
  X509_up_ref(cert);
  return X509Ptr(cert);
}

// Text of the OpenSSL error queue (and clears it), for messages: "error:...:PEM routines::...".
std::string drain_openssl_errors();

}  // namespace mtls::certs
