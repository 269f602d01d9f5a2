#include "certs/handshake_reason.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

namespace mtls::certs {
using metrics::HandshakeReason;

HandshakeReason reason_for_verify_error(long e) {
  switch (e) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return HandshakeReason::expired;
    // Our CRL is past its nextUpdate (trust.crl_stale: refuse): the peer's certificate may be fine.
    case X509_V_ERR_CRL_HAS_EXPIRED:
      return HandshakeReason::crl_stale;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return HandshakeReason::not_yet_valid;
    case X509_V_ERR_CERT_REVOKED:
      return HandshakeReason::revoked;
    // The server is not the name we dialled (outbound verify_server_name): an identity refusal.
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return HandshakeReason::identity_denied;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
      return HandshakeReason::unknown_ca;
    default:
      return HandshakeReason::bad_certificate;
  }
}

namespace {

// Reasons from the SSL library's own errors, including alerts the peer sent us.
HandshakeReason reason_for_ssl_error(int r) {
  switch (r) {
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return HandshakeReason::no_peer_cert;
    // The first record is not TLS at all (OpenSSL names HTTP and proxy requests; anything else
    // is a "wrong version number"): a plaintext client, or a plaintext server behind `forward`.
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_WRONG_VERSION_NUMBER:
      return HandshakeReason::plaintext;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
      return HandshakeReason::protocol_version;
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_SHARED_GROUPS:
    case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
    case SSL_R_NO_CIPHERS_AVAILABLE:
      return HandshakeReason::no_shared_cipher;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
      return HandshakeReason::expired;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
      return HandshakeReason::revoked;
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
      return HandshakeReason::unknown_ca;
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_EXCESSIVE_MESSAGE_SIZE:
      return HandshakeReason::bad_certificate;
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return HandshakeReason::peer_closed;
    default:
      return HandshakeReason::other;
  }
}

}  // namespace

// The reason a PeerCheck refusal names: identity rules, a pinned key, or the server's OCSP staple.
metrics::HandshakeReason reason_for_verdict(const Verdict& verdict) {
  if (verdict.reason == "bad_certificate") return HandshakeReason::bad_certificate;
  if (verdict.reason == "spki_mismatch") return HandshakeReason::spki_mismatch;
  if (verdict.reason == "revoked") return HandshakeReason::revoked;
  if (verdict.reason == "ocsp_missing") return HandshakeReason::ocsp_missing;
  if (verdict.reason == "ocsp_invalid") return HandshakeReason::ocsp_invalid;
  return HandshakeReason::identity_denied;
}

HandshakeFailure classify_handshake_failure(SSL* ssl, unsigned long openssl_error,
                                            const PeerCheck& check, bool peer_closed) {
  if (check.checked() && !check.verdict().allowed) {
    return {reason_for_verdict(check.verdict()), check.verdict().detail};
  }
  const long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (verify != X509_V_OK) {
    return {reason_for_verify_error(verify),
            std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify)};
  }
  if (openssl_error != 0) {
    char text[256];
    ERR_error_string_n(openssl_error, text, sizeof text);
    return {ERR_GET_LIB(openssl_error) == ERR_LIB_SSL
                ? reason_for_ssl_error(ERR_GET_REASON(openssl_error))
                : HandshakeReason::other,
            text};
  }
  if (peer_closed) return {HandshakeReason::peer_closed, "the peer closed during the handshake"};
  return {HandshakeReason::other, "handshake failed"};
}

}  // namespace mtls::certs
