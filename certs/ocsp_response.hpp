#pragma once
// Checking one DER OCSP response about one certificate (RFC 6960), shared by the staple we serve
// (checked at load) and the staples servers send us (checked in the handshake): the response is
// successful, signed by the certificate's issuer or by a responder the issuer delegated to
// (id-kp-OCSPSigning) whose chain verifies against `anchors`, holds a status for this exact
// certificate (issuer name and key hashes, serial) and is inside [thisUpdate, nextUpdate] give or
// take kOcspSkew. Thread-safe: reads only its arguments (`anchors` is only read).

#include <openssl/ocsp.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "certs/openssl_ptr.hpp"

namespace mtls::certs {

// A stack that borrows its certificates (sk_X509_free, not sk_X509_pop_free).
struct BorrowedX509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using BorrowedX509Stack = std::unique_ptr<STACK_OF(X509), BorrowedX509StackFree>;

// Clock skew allowed on thisUpdate and nextUpdate, as OpenSSL's own `ocsp` command allows.
inline constexpr long kOcspSkewSeconds = 300;

enum class OcspCertStatus { good, revoked, unknown };

struct OcspStatus {
  OcspCertStatus status = OcspCertStatus::unknown;
  std::time_t this_update = 0;
  std::time_t next_update = 0;  // 0: the responder gave none (newer information any time)
};

// A response that is not one of the checks above, with the reason ("past its nextUpdate ...").
class OcspResponseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `untrusted`: certificates that may complete the responder's chain (the peer's or our chain);
// may be null. Throws OcspResponseError.
OcspStatus check_ocsp_response(std::string_view der, X509* cert, X509* issuer,
                               STACK_OF(X509) * untrusted, X509_STORE* anchors, std::time_t now);

std::string_view name(OcspCertStatus status);  // "good" | "revoked" | "unknown"

// A store of `anchors` for check_ocsp_response: no CRL flags (the SSL contexts' stores have
// them; a responder certificate is checked by its short life and id-pkix-ocsp-nocheck instead).
X509StorePtr make_ocsp_store(const std::vector<X509*>& anchors);

}  // namespace mtls::certs
