#include "certs/crl_policy.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <stdexcept>

#include "certs/describe.hpp"
#include "certs/peer_check.hpp"
#include "certs/x509_fields.hpp"

namespace mtls::certs {
namespace {

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n > 0 ? size_t(n) : 0);
}

using AuthorityKeyIdPtr = std::unique_ptr<AUTHORITY_KEYID, OpenSslDeleter<AUTHORITY_KEYID_free>>;

// Whether `ca` may have issued `crl`: the same name and, when both carry one, the same key
// identifier. The name alone is not enough: during a rotation the old and the new root often
// share their subject, and each publishes its own CRL.
bool may_have_issued(const X509* ca, const X509_CRL* crl) {
  if (X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(crl)) != 0) return false;
  const AuthorityKeyIdPtr akid(static_cast<AUTHORITY_KEYID*>(
      X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, nullptr, nullptr)));
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(const_cast<X509*>(ca));
  ERR_clear_error();
  if (!akid || !akid->keyid || !ski) return true;  // nothing to compare: the signature decides
  return ASN1_OCTET_STRING_cmp(akid->keyid, ski) == 0;
}

// The CA certificates we hold that may sign CRLs: the anchors and our own chain's intermediates.
std::vector<const X509*> known_cas(const CertificateBundle& b) {
  std::vector<const X509*> out;
  for (X509* anchor : all_anchors(b)) out.push_back(anchor);
  for (const auto& c : b.chain) out.push_back(c.get());
  return out;
}

// Errors the policy tolerates; everything else is OpenSSL's verdict.
bool tolerated(X509_STORE_CTX* ctx, bool accept_stale) {
  const int error = X509_STORE_CTX_get_error(ctx);
  if (error == X509_V_ERR_UNABLE_TO_GET_CRL) return X509_STORE_CTX_get_error_depth(ctx) > 0;
  return accept_stale && error == X509_V_ERR_CRL_HAS_EXPIRED;
}

template <bool AcceptStale>
int verify_with_crls(int ok, X509_STORE_CTX* ctx) {
  if (!ok && tolerated(ctx, AcceptStale)) {
    X509_STORE_CTX_set_error(ctx, X509_V_OK);  // the handshake's verify result stays clean
    ok = 1;
  }
  return PeerCheck::verify_callback(ok, ctx);
}

}  // namespace

void validate_crls(const CertificateBundle& b) {
  const std::vector<const X509*> cas = known_cas(b);
  for (const auto& crl : b.crls) {
    bool known = false;
    bool signed_by_it = false;
    for (const X509* ca : cas) {
      if (!may_have_issued(ca, crl.get())) continue;
      known = true;
      ERR_clear_error();
      signed_by_it = X509_CRL_verify(crl.get(), X509_get0_pubkey(ca)) == 1;
      ERR_clear_error();
      if (signed_by_it) break;
    }
    // A CRL of an intermediate that only peers send is checked at their handshake.
    if (known && !signed_by_it) {
      throw std::runtime_error(b.origin + ": CRL of " + name_text(X509_CRL_get_issuer(crl.get())) +
                               " is not signed by that CA (trust.ca_bundle, trust.domains or " +
                               "our own chain)");
    }
  }
}

std::vector<CrlInfo> describe_crls(const CertificateBundle& b) {
  std::vector<CrlInfo> out;
  for (const auto& crl : b.crls) {
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
    out.push_back({name_text(X509_CRL_get_issuer(crl.get())), next ? to_time_t(next) : 0});
  }
  return out;
}

unsigned long crl_verify_flags(const CertificateBundle& b) {
  return b.crls.empty() ? 0 : X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
}

VerifyCallback verify_callback_for(bool accept_stale_crl) {
  return accept_stale_crl ? &verify_with_crls<true> : &verify_with_crls<false>;
}

bool has_stale_crl(const std::vector<CrlInfo>& crls, const X509* cert, std::time_t now) {
  const std::string issuer = name_text(X509_get_issuer_name(cert));
  return std::any_of(crls.begin(), crls.end(), [&](const CrlInfo& crl) {
    return crl.next_update != 0 && crl.next_update <= now && crl.issuer == issuer;
  });
}

std::vector<std::string> crl_warnings(const std::vector<CrlInfo>& crls, std::time_t now,
                                      bool accept_stale_crl) {
  std::vector<std::string> out;
  for (const CrlInfo& crl : crls) {
    if (crl.next_update == 0 || crl.next_update > now) continue;
    out.push_back("CRL of " + crl.issuer + " is past its nextUpdate " + rfc3339(crl.next_update) +
                  (accept_stale_crl ? ": still used (trust.crl_stale: warn)"
                                    : ": peers it issued are refused until a fresh CRL is loaded "
                                      "(trust.crl_stale: refuse)"));
  }
  return out;
}

std::vector<std::string> anchors_without_crl(const CertificateBundle& b) {
  std::vector<std::string> out;
  if (b.crls.empty()) return out;
  for (X509* anchor : all_anchors(b)) {
    bool covered = false;
    for (const auto& crl : b.crls) covered = covered || may_have_issued(anchor, crl.get());
    if (!covered) {
      out.push_back("trust.crl has no CRL of " + subject_text(anchor) +
                    ": peer certificates it issues directly are refused");
    }
  }
  return out;
}

}  // namespace mtls::certs
