#pragma once
// OCSP responses built in memory, for the cases a live responder cannot produce on demand: a
// response already past its nextUpdate, one signed by the wrong CA, one about another
// certificate. Signed by `signer` (the CA itself: the issuer may sign its own responses).

#include <chrono>
#include <string>

#include "certs/local_ca.hpp"
#include "certs/ocsp_response.hpp"

namespace mtls::test {

struct OcspDerRequest {
  certs::OcspCertStatus status = certs::OcspCertStatus::good;
  // thisUpdate = now + this_update; nextUpdate = now + next_update (negative: already stale).
  std::chrono::seconds this_update{-60};
  std::chrono::seconds next_update{std::chrono::hours(1)};
};

// A DER OCSP response about `cert` (issued by `issuer`), signed by `signer`.
std::string ocsp_der(X509* cert, const certs::LocalCa& issuer, const certs::LocalCa& signer,
                     const OcspDerRequest& request = {});

}  // namespace mtls::test
