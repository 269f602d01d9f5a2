#pragma once
// Authorizing the peer inside the handshake. A session owns a PeerCheck and attaches it to its
// SSL; our verify callback (installed on every context by make_tls_contexts) runs the identity
// policy on the chain-verified leaf, so a denied peer gets a TLS alert instead of a bare close.
// Resumed sessions skip the callback: finish() re-checks the session's peer certificate.
// Single-threaded: used by the worker that owns the SSL.

#include <openssl/ssl.h>

#include <ctime>

#include "certs/peer_identity.hpp"
#include "config/config.hpp"

namespace mtls::certs {

class PeerCheck {
 public:
  explicit PeerCheck(const config::PeerPolicy& policy) : policy_(&policy) {}
  PeerCheck(const PeerCheck&) = delete;
  PeerCheck& operator=(const PeerCheck&) = delete;

  void attach(SSL* ssl);           // must outlive every handshake step of `ssl`
  static PeerCheck* of(SSL* ssl);  // the attached one, or null
  // A refusal decided after the identity check (the server's OCSP staple, certs/ocsp_check.hpp).
  void refuse(Verdict verdict) {
    verdict_ = std::move(verdict);
    checked_ = true;
  }
  // The nextUpdate of the server's stapled OCSP response that was checked (0: none): a session
  // of this handshake resumes only until then.
  void set_staple_next_update(std::time_t t) { staple_next_update_ = t; }
  std::time_t staple_next_update() const { return staple_next_update_; }
  // After a successful handshake: the verdict (runs the policy now if the callback did not).
  const Verdict& finish(SSL* ssl);

  bool checked() const { return checked_; }
  const Verdict& verdict() const { return verdict_; }
  const PeerIdentity& identity() const { return identity_; }
  // What the peer's leaf claims (SPIFFE ID, DNS SANs or CN, escaped by printable()) followed by
  // " (unverified)", recorded before its chain is verified, so the log line of a refusal says
  // who tried instead of "-". Never a metric label: anyone can claim any name. Empty when no
  // certificate arrived.
  const std::string& presented() const { return presented_; }

  // The callback installed with SSL_CTX_set_verify.
  static int verify_callback(int preverify_ok, X509_STORE_CTX* ctx);

 private:
  void check(X509* leaf);

  const config::PeerPolicy* policy_;
  bool checked_ = false;
  Verdict verdict_;
  PeerIdentity identity_;
  std::string presented_;
  std::time_t staple_next_update_ = 0;
};

}  // namespace mtls::certs
