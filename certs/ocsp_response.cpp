#include "certs/ocsp_response.hpp"

#include <openssl/err.h>

#include <ctime>

#include "certs/x509_fields.hpp"

namespace mtls::certs {
namespace {

template <auto Free>
using Owned = OpenSslDeleter<Free>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, Owned<OCSP_RESPONSE_free>>;
using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, Owned<OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, Owned<OCSP_CERTID_free>>;

[[noreturn]] void fail(const std::string& what) {
  ERR_clear_error();
  throw OcspResponseError(what);
}

// Responders name the certificate with the hash algorithm of their choice (SHA-1 mostly): the
// single response whose CertID, recomputed with its algorithm for `cert`, matches.
OCSP_SINGLERESP* response_for(OCSP_BASICRESP* basic, X509* cert, X509* issuer) {
  for (int i = 0; i < OCSP_resp_count(basic); ++i) {
    OCSP_SINGLERESP* single = OCSP_resp_get0(basic, i);
    const OCSP_CERTID* id = OCSP_SINGLERESP_get0_id(single);
    ASN1_OBJECT* md_oid = nullptr;
    if (OCSP_id_get0_info(nullptr, &md_oid, nullptr, nullptr, const_cast<OCSP_CERTID*>(id)) != 1)
      continue;
    const EVP_MD* md = EVP_get_digestbyobj(md_oid);
    if (md == nullptr) continue;
    const OcspCertIdPtr ours(OCSP_cert_to_id(md, cert, issuer));
    if (ours && OCSP_id_cmp(ours.get(), id) == 0) return single;
  }
  return nullptr;
}

std::string when(const ASN1_GENERALIZEDTIME* t) {
  const std::time_t at = to_time_t(t);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&at));
  return text;
}

}  // namespace

std::string_view name(OcspCertStatus status) {
  switch (status) {
    case OcspCertStatus::good:
      return "good";
    case OcspCertStatus::revoked:
      return "revoked";
    case OcspCertStatus::unknown:
      break;
  }
  return "unknown";
}

X509StorePtr make_ocsp_store(const std::vector<X509*>& anchors) {
  X509StorePtr store(X509_STORE_new());
  for (X509* anchor : anchors) X509_STORE_add_cert(store.get(), anchor);
  return store;
}

OcspStatus check_ocsp_response(std::string_view der, X509* cert, X509* issuer,
                               STACK_OF(X509) * untrusted, X509_STORE* anchors, std::time_t now) {
  if (cert == nullptr || issuer == nullptr) fail("no issuer to check the OCSP response against");
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, long(der.size())));
  if (!response) fail("not a DER OCSP response");
  const int response_status = OCSP_response_status(response.get());
  if (response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    fail(std::string("the responder answered \"") + OCSP_response_status_str(response_status) +
         "\", not a status");
  const OcspBasicPtr basic(OCSP_response_get1_basic(response.get()));
  if (!basic) fail("not a basic OCSP response");

  // The issuer itself may sign, so it is offered as a possible signer beside `untrusted`.
  const BorrowedX509Stack candidates(untrusted ? sk_X509_dup(untrusted) : sk_X509_new_null());
  sk_X509_push(candidates.get(), issuer);
  if (OCSP_basic_verify(basic.get(), candidates.get(), anchors, 0) <= 0) {
    char text[256] = "";
    ERR_error_string_n(ERR_peek_last_error(), text, sizeof text);
    fail(std::string("the OCSP response's signature does not verify against the certificate's "
                     "issuer or a responder it delegated to: ") +
         text);
  }
  OCSP_SINGLERESP* single = response_for(basic.get(), cert, issuer);
  if (single == nullptr)
    fail("the OCSP response is not about certificate " + serial_hex(cert) + " of " +
         subject_text(issuer));
  int reason = 0;
  ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_update = nullptr, *next_update = nullptr;
  const int status =
      OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next_update);
  // OCSP_check_validity reads the clock itself; `now` keeps tests and callers on one clock.
  if (this_update == nullptr) fail("the OCSP response has no thisUpdate");
  if (next_update != nullptr && to_time_t(next_update) + kOcspSkewSeconds < now)
    fail("the OCSP response is past its nextUpdate " + when(next_update));
  if (to_time_t(this_update) > now + kOcspSkewSeconds)
    fail("the OCSP response's thisUpdate " + when(this_update) + " is in the future");
  if (next_update != nullptr && ASN1_TIME_compare(next_update, this_update) < 0)
    fail("the OCSP response's nextUpdate is before its thisUpdate");

  OcspStatus out;
  out.status = status == V_OCSP_CERTSTATUS_GOOD      ? OcspCertStatus::good
               : status == V_OCSP_CERTSTATUS_REVOKED ? OcspCertStatus::revoked
                                                     : OcspCertStatus::unknown;
  out.this_update = to_time_t(this_update);
  out.next_update = next_update ? to_time_t(next_update) : 0;
  ERR_clear_error();
  return out;
}

}  // namespace mtls::certs
