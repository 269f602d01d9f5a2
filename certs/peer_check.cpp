#include "certs/peer_check.hpp"

namespace mtls::certs {
namespace {

int peer_check_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

void PeerCheck::attach(SSL* ssl) { SSL_set_ex_data(ssl, peer_check_index(), this); }

void PeerCheck::check(X509* leaf) {
  identity_ = extract_identity(leaf);
  verdict_ = authorize(identity_, *policy_);
  checked_ = true;
}

const Verdict& PeerCheck::finish(SSL* ssl) {
  if (!checked_) {
    X509* leaf = SSL_get0_peer_certificate(ssl);
    if (leaf) {
      check(leaf);
    } else {
      verdict_ = {false, "no_peer_cert", "the peer presented no certificate"};
      checked_ = true;
    }
  }
  return verdict_;
}

int PeerCheck::verify_callback(int preverify_ok, X509_STORE_CTX* ctx) {
  if (!preverify_ok) return 0;  // the chain failed: OpenSSL's own error stands
  if (X509_STORE_CTX_get_error_depth(ctx) != 0) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self = ssl ? static_cast<PeerCheck*>(SSL_get_ex_data(ssl, peer_check_index())) : nullptr;
  if (!self) {
    // A context of ours used without a PeerCheck: fail closed rather than admit anyone.
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  self->check(X509_STORE_CTX_get_current_cert(ctx));
  if (self->verdict_.allowed) return 1;
  X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

}  // namespace mtls::certs
