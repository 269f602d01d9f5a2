#include "certs/peer_recheck.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "certs/openssl_ptr.hpp"

namespace mtls::certs {
namespace {

using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>>;

}  // namespace

HandshakeFailure recheck_peer(SSL* ssl, const PeerCheck& check, const TlsContexts& contexts) {
  using metrics::HandshakeReason;
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) return {HandshakeReason::no_peer_cert, "the peer presented no certificate"};
  // The context of the new trust, on the same side as this connection.
  SSL_CTX* ctx = SSL_is_server(ssl) ? contexts.server.get() : contexts.client.get();
  ERR_clear_error();
  StoreCtxPtr store_ctx(X509_STORE_CTX_new());
  // As OpenSSL's own handshake verification (ssl_verify_cert_chain) sets it up, with the new
  // context's store and parameters; the SSL stays reachable so the callback finds its PeerCheck.
  if (!store_ctx ||
      X509_STORE_CTX_init(store_ctx.get(), SSL_CTX_get_cert_store(ctx), leaf,
                          SSL_get_peer_cert_chain(ssl)) != 1 ||
      X509_STORE_CTX_set_ex_data(store_ctx.get(), SSL_get_ex_data_X509_STORE_CTX_idx(), ssl) != 1) {
    ERR_clear_error();
    return {HandshakeReason::other, "cannot re-verify the peer (out of memory)"};
  }
  X509_STORE_CTX_set_default(store_ctx.get(), SSL_is_server(ssl) ? "ssl_client" : "ssl_server");
  X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(store_ctx.get()), SSL_CTX_get0_param(ctx));
  if (SSL_verify_cb cb = SSL_CTX_get_verify_callback(ctx))
    X509_STORE_CTX_set_verify_cb(store_ctx.get(), cb);
  const bool ok = X509_verify_cert(store_ctx.get()) == 1;
  const int error = X509_STORE_CTX_get_error(store_ctx.get());
  ERR_clear_error();
  if (ok) return {HandshakeReason::ok, {}};
  if (check.checked() && !check.verdict().allowed) {
    return {reason_for_verdict(check.verdict()), check.verdict().detail};
  }
  return {reason_for_verify_error(error),
          std::string("certificate verify failed: ") + X509_verify_cert_error_string(error)};
}

}  // namespace mtls::certs
