#pragma once
// Client-side TLS resumption for one outbound listener on one worker: keeps the newest session
// (TLS 1.3 ticket) the peer sent and offers it on the next connection, so a plaintext app that
// opens a connection per request does not pay a full mTLS handshake each time.
// A session is only offered while the trust it was verified under is unchanged: after a trust or
// CRL change the next handshake is full (a resumed one would skip verifying the server again);
// after an identity-only reload it still resumes. Nor past min(server leaf notAfter, the full
// handshake + tls.session_max_age) (certs/resumption.hpp), however often tickets are renewed.
// Single-threaded: owned and used by one worker, so N workers make N full handshakes to a peer
// before all of them resume. Sharing it would hand one SSL_SESSION to concurrent handshakes on
// several threads, which OpenSSL's client side does not promise to be safe.

#include <memory>

#include "certs/tls_contexts.hpp"

namespace mtls::certs {

class ClientSessionCache {
 public:
  // Before the handshake of `ssl` (made from contexts->client): offers the cached session and
  // registers `ssl` so tickets arriving on it replace the cached one.
  void prepare(SSL* ssl, const std::shared_ptr<const TlsContexts>& contexts);

  // Installed on every client SSL_CTX (SSL_CTX_sess_set_new_cb) by make_tls_contexts.
  static int on_new_session(SSL* ssl, SSL_SESSION* session);

 private:
  std::shared_ptr<const TlsContexts> contexts_;
  SslSessionPtr session_;
};

}  // namespace mtls::certs
