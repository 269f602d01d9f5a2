#pragma once
// Which trust anchors vouch for which SPIFFE trust domain, as SPIFFE bundles work: a peer's
// SPIFFE ID is believed only when the root its chain was verified to belongs to the ID's trust
// domain, so a partner's CA cannot mint identities of ours (or of a third domain).
//  - the roots of trust.ca_bundle belong to our own trust domain (that of our identity's SPIFFE
//    ID) or, when our identity has no SPIFFE ID, to every domain not listed in trust.domains;
//  - the roots of each trust.domains file belong to that domain.
// DNS SAN and CN identities are not bound: they verify against every configured root.
// Immutable after construction; read by every worker without a lock.

#include <openssl/ssl.h>

#include <string>
#include <string_view>
#include <vector>

#include "certs/certificate_bundle.hpp"

namespace mtls::certs {

class AnchorDomains {
 public:
  // `own_domain`: the trust domain of our leaf's SPIFFE ID, "" when it has none.
  AnchorDomains(const CertificateBundle& bundle, std::string own_domain);

  // Whether `anchor` (the top of a verified chain) may vouch for SPIFFE IDs of `domain`.
  bool vouches(X509* anchor, std::string_view domain) const;
  // "demo.local" or "partner.example, other.example": what `anchor` vouches for, for messages.
  std::string describe(X509* anchor) const;

  // Attached to an SSL_CTX (ex_data) so the verify callback finds it; `domains` must outlive it.
  static void attach(SSL_CTX* ctx, const AnchorDomains* domains);
  static const AnchorDomains* of(SSL_CTX* ctx);  // nullptr when none was attached

 private:
  struct Entry {
    X509Ptr root;
    std::string domain;  // "" for a root of trust.ca_bundle without an own domain: see above
  };
  std::vector<Entry> entries_;
  std::vector<std::string> federated_;  // the domains trust.domains lists
};

}  // namespace mtls::certs
