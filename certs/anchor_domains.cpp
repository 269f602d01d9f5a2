#include "certs/anchor_domains.hpp"

#include <algorithm>

namespace mtls::certs {
namespace {

int anchor_domains_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

AnchorDomains::AnchorDomains(const CertificateBundle& bundle, std::string own_domain) {
  for (const auto& root : bundle.trust) entries_.push_back({share(root.get()), own_domain});
  for (const DomainRoots& domain : bundle.domains) {
    federated_.push_back(domain.domain);
    for (const auto& root : domain.roots) entries_.push_back({share(root.get()), domain.domain});
  }
}

bool AnchorDomains::vouches(X509* anchor, std::string_view domain) const {
  const bool listed = std::find(federated_.begin(), federated_.end(), domain) != federated_.end();
  // The same root may be in several files (a rotation bundle, a domain of ours listed again):
  // the anchor may vouch for the union. Compared by content, not by pointer: the store holds
  // its own copies.
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    if (X509_cmp(e.root.get(), anchor) != 0) return false;
    return e.domain == domain || (e.domain.empty() && !listed);
  });
}

std::string AnchorDomains::describe(X509* anchor) const {
  std::vector<std::string> names;
  for (const Entry& e : entries_) {
    if (X509_cmp(e.root.get(), anchor) != 0) continue;
    std::string name = e.domain.empty() ? "every trust domain not in trust.domains" : e.domain;
    if (std::find(names.begin(), names.end(), name) == names.end())
      names.push_back(std::move(name));
  }
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "no trust domain" : out;
}

void AnchorDomains::attach(SSL_CTX* ctx, const AnchorDomains* domains) {
  SSL_CTX_set_ex_data(ctx, anchor_domains_index(), const_cast<AnchorDomains*>(domains));
}

const AnchorDomains* AnchorDomains::of(SSL_CTX* ctx) {
  return static_cast<const AnchorDomains*>(SSL_CTX_get_ex_data(ctx, anchor_domains_index()));
}

}  // namespace mtls::certs
