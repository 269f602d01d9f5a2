#include "certs/ocsp_check.hpp"

#include <ctime>
#include <string>

#include "certs/ocsp_response.hpp"
#include "certs/peer_check.hpp"

namespace mtls::certs {
namespace {

// 1: go on; 0: refuse (OpenSSL sends bad_certificate_status_response).
int refuse(PeerCheck* check, const char* reason, std::string detail) {
  if (check) check->refuse({.allowed = false, .reason = reason, .detail = std::move(detail)});
  return 0;
}

int server_staple_callback(SSL* ssl, void* arg) {
  const auto* peers = static_cast<const OcspPeers*>(arg);
  // OpenSSL runs the callback on a resumed TLS 1.3 handshake too, where the server sends no
  // Certificate and so no staple: the session was admitted by the staple of its full handshake
  // and is offered only until that staple's nextUpdate (stamp_resume_deadline).
  if (SSL_session_reused(ssl) == 1) return 1;
  PeerCheck* check = PeerCheck::of(ssl);
  const unsigned char* der = nullptr;
  const long len = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
  if (der == nullptr || len <= 0) {
    if (peers->policy == config::OcspPolicy::require)
      return refuse(check, "ocsp_missing",
                    "the server stapled no OCSP response (trust.ocsp: require)");
    return 1;
  }
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
  X509* leaf = chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : nullptr;
  X509* issuer = chain && sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : nullptr;
  try {
    const OcspStatus status =
        check_ocsp_response(std::string_view(reinterpret_cast<const char*>(der), std::size_t(len)),
                            leaf, issuer, chain, peers->anchors.get(), std::time(nullptr));
    if (status.status == OcspCertStatus::revoked)
      return refuse(check, "revoked", "the server's stapled OCSP response says it is revoked");
    if (status.status == OcspCertStatus::unknown)
      return refuse(check, "ocsp_invalid",
                    "the server's stapled OCSP response says its status is unknown");
    if (check) check->set_staple_next_update(status.next_update);
    return 1;
  } catch (const OcspResponseError& e) {
    return refuse(check, "ocsp_invalid", std::string("stapled OCSP response: ") + e.what());
  }
}

}  // namespace

void check_server_staples(SSL_CTX* client, const OcspPeers* peers) {
  if (peers == nullptr || peers->policy == config::OcspPolicy::off) return;
  SSL_CTX_set_tlsext_status_type(client, TLSEXT_STATUSTYPE_ocsp);
  SSL_CTX_set_tlsext_status_cb(client, &server_staple_callback);
  SSL_CTX_set_tlsext_status_arg(client, const_cast<OcspPeers*>(peers));
}

}  // namespace mtls::certs
