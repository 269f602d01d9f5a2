#include "tests/support/ocsp_der.hpp"

#include <openssl/ocsp.h>

#include <ctime>
#include <stdexcept>

namespace mtls::test {
namespace {

using Basic = std::unique_ptr<OCSP_BASICRESP, certs::OpenSslDeleter<OCSP_BASICRESP_free>>;
using Response = std::unique_ptr<OCSP_RESPONSE, certs::OpenSslDeleter<OCSP_RESPONSE_free>>;
using Time = std::unique_ptr<ASN1_TIME, certs::OpenSslDeleter<ASN1_TIME_free>>;

Time at(std::chrono::seconds offset) {
  return Time(X509_gmtime_adj(nullptr, long(offset.count())));
}

}  // namespace

std::string ocsp_der(X509* cert, const certs::LocalCa& issuer, const certs::LocalCa& signer,
                     const OcspDerRequest& request) {
  const Basic basic(OCSP_BASICRESP_new());
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), cert, issuer.certificate());
  const Time this_update = at(request.this_update);
  const Time next_update = at(request.next_update);
  const Time revoked_at = at(request.this_update - std::chrono::hours(1));
  const int status = request.status == certs::OcspCertStatus::good      ? V_OCSP_CERTSTATUS_GOOD
                     : request.status == certs::OcspCertStatus::revoked ? V_OCSP_CERTSTATUS_REVOKED
                                                                        : V_OCSP_CERTSTATUS_UNKNOWN;
  const bool added =
      OCSP_basic_add1_status(basic.get(), id, status, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                             status == V_OCSP_CERTSTATUS_REVOKED ? revoked_at.get() : nullptr,
                             this_update.get(), next_update.get()) != nullptr;
  OCSP_CERTID_free(id);
  if (!added || OCSP_basic_sign(basic.get(), signer.certificate(), signer.key(), EVP_sha256(),
                                nullptr, 0) != 1)
    throw std::runtime_error("cannot build an OCSP response");
  const Response response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  unsigned char* der = nullptr;
  const int n = i2d_OCSP_RESPONSE(response.get(), &der);
  std::string out(reinterpret_cast<char*>(der), n > 0 ? std::size_t(n) : 0);
  OPENSSL_free(der);
  return out;
}

}  // namespace mtls::test
