// classify_handshake_failure: the one mapping from what OpenSSL and PeerCheck recorded to the
// reason label that logs and metrics share. Policy verdicts come first (tests/integration
// exercise them with real handshakes); here, what remains once no verdict refused the peer.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "certs/handshake_reason.hpp"

namespace mtls::certs {
namespace {

using metrics::HandshakeReason;

unsigned long ssl_error(int reason) { return ERR_PACK(ERR_LIB_SSL, 0, reason); }

HandshakeFailure classify(unsigned long openssl_error, bool peer_closed = false) {
  static const config::PeerPolicy policy;
  const PeerCheck unchecked(policy);  // the handshake never reached the identity check
  return classify_handshake_failure(nullptr, openssl_error, unchecked, peer_closed);
}

TEST(HandshakeReason, VerifyErrorsMapToTheirReasons) {
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_CERT_HAS_EXPIRED), HandshakeReason::expired);
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_CRL_HAS_EXPIRED), HandshakeReason::crl_stale);
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_CERT_NOT_YET_VALID), HandshakeReason::not_yet_valid);
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_CERT_REVOKED), HandshakeReason::revoked);
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_HOSTNAME_MISMATCH),
            HandshakeReason::identity_denied);
  for (long e : {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                 X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
                 X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_CERT_UNTRUSTED})
    EXPECT_EQ(reason_for_verify_error(e), HandshakeReason::unknown_ca)
        << X509_verify_cert_error_string(e);
  // Anything else wrong with a certificate (signature, extensions, purpose, ...).
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_CERT_SIGNATURE_FAILURE),
            HandshakeReason::bad_certificate);
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_INVALID_PURPOSE), HandshakeReason::bad_certificate);
}

TEST(HandshakeReason, SslLibraryErrorsAndAlertsMapToTheirReasons) {
  EXPECT_EQ(classify(ssl_error(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)).reason,
            HandshakeReason::no_peer_cert);
  EXPECT_EQ(classify(ssl_error(SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED)).reason,
            HandshakeReason::no_peer_cert);
  EXPECT_EQ(classify(ssl_error(SSL_R_NO_SHARED_CIPHER)).reason, HandshakeReason::no_shared_cipher);
  EXPECT_EQ(classify(ssl_error(SSL_R_UNSUPPORTED_PROTOCOL)).reason,
            HandshakeReason::protocol_version);
  EXPECT_EQ(classify(ssl_error(SSL_R_TLSV1_ALERT_UNKNOWN_CA)).reason, HandshakeReason::unknown_ca);
  EXPECT_EQ(classify(ssl_error(SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED)).reason,
            HandshakeReason::expired);
  EXPECT_EQ(classify(ssl_error(SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED)).reason,
            HandshakeReason::revoked);
  EXPECT_EQ(classify(ssl_error(SSL_R_EXCESSIVE_MESSAGE_SIZE)).reason,
            HandshakeReason::bad_certificate);
  EXPECT_EQ(classify(ssl_error(SSL_R_UNEXPECTED_EOF_WHILE_READING)).reason,
            HandshakeReason::peer_closed);
}

TEST(HandshakeReason, UnknownErrorsAreOtherWithOpenSslsTextAsDetail) {
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS, nullptr);  // as any process with an SSL_CTX has
  const HandshakeFailure f = classify(ssl_error(SSL_R_BAD_PACKET_LENGTH));
  EXPECT_EQ(f.reason, HandshakeReason::other);
  EXPECT_NE(f.detail.find("bad packet length"), std::string::npos) << f.detail;
  EXPECT_EQ(classify(ERR_PACK(ERR_LIB_EVP, 0, 1)).reason, HandshakeReason::other)
      << "not the SSL library";
}

TEST(HandshakeReason, WithoutAnErrorTheTransportDecides) {
  EXPECT_EQ(classify(0, /*peer_closed=*/true).reason, HandshakeReason::peer_closed);
  const HandshakeFailure f = classify(0, false);
  EXPECT_EQ(f.reason, HandshakeReason::other);
  EXPECT_FALSE(f.detail.empty());
}

}  // namespace
}  // namespace mtls::certs
