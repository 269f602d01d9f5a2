#include "certs/peer_check.hpp"

#include <optional>

#include "certs/anchor_domains.hpp"
#include "certs/spki_pin.hpp"

namespace mtls::certs {
namespace {

int peer_check_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// A SPIFFE ID is believed only from a root of its own trust domain (certs/anchor_domains.hpp):
// the refusal when the verified chain's anchor does not vouch for the ID's domain.
std::optional<Verdict> foreign_anchor(X509_STORE_CTX* ctx, SSL* ssl, const PeerIdentity& peer) {
  const std::string id = peer.spiffe_id();
  if (id.empty()) return std::nullopt;  // DNS SAN / CN identities: any configured root
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  X509* anchor =
      chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, sk_X509_num(chain) - 1) : nullptr;
  const AnchorDomains* domains = AnchorDomains::of(SSL_get_SSL_CTX(ssl));
  const std::string domain = spiffe_trust_domain(id);
  if (anchor && domains && domains->vouches(anchor, domain)) return std::nullopt;
  return Verdict{.allowed = false,
                 .reason = "identity_denied",
                 .detail = id + " chains to a root of " +
                           (anchor && domains ? domains->describe(anchor) : "unknown trust") +
                           ", not of " + domain + " (trust.ca_bundle holds our own trust " +
                           "domain's roots, trust.domains those of others)"};
}

}  // namespace

void PeerCheck::attach(SSL* ssl) { SSL_set_ex_data(ssl, peer_check_index(), this); }

PeerCheck* PeerCheck::of(SSL* ssl) {
  return static_cast<PeerCheck*>(SSL_get_ex_data(ssl, peer_check_index()));
}

void PeerCheck::check(X509* leaf) {
  identity_ = extract_identity(leaf);
  verdict_ = authorize(identity_, *policy_);
  // Here, not only in the verify callback: finish() runs it on resumed sessions and recheck_peer
  // after a trust reload, so no path admits a server without its pinned key.
  if (verdict_.allowed) {
    if (std::optional<Verdict> refusal = spki_refusal(leaf, policy_->spki_sha256))
      verdict_ = std::move(*refusal);
  }
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
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self = ssl ? static_cast<PeerCheck*>(SSL_get_ex_data(ssl, peer_check_index())) : nullptr;
  if (self && self->presented_.empty()) {
    if (X509* leaf = X509_STORE_CTX_get0_cert(ctx))
      self->presented_ = extract_identity(leaf).display() + " (unverified)";
  }
  if (!preverify_ok) return 0;  // the chain failed: OpenSSL's own error stands
  if (X509_STORE_CTX_get_error_depth(ctx) != 0) return 1;
  if (!self) {
    // A context of ours used without a PeerCheck: fail closed rather than admit anyone.
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  self->check(X509_STORE_CTX_get_current_cert(ctx));
  // Checked even when the policy admits the peer by DNS SAN or any: true, so a forged SPIFFE ID
  // never reaches a log line or a metric label as the peer's identity.
  if (self->verdict_.reason != "bad_certificate") {
    if (std::optional<Verdict> refusal = foreign_anchor(ctx, ssl, self->identity_)) {
      self->verdict_ = std::move(*refusal);
    }
  }
  if (self->verdict_.allowed) return 1;
  X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

}  // namespace mtls::certs
