#pragma once
// Asks the OCSP responder named in our leaf (Authority Information Access) for its status, over
// plain HTTP as RFC 6960 intends (the response is signed; TLS to the responder would have to be
// verified with the very revocation data it serves). Blocking: run it on the loader thread only.

#include <chrono>
#include <string>

#include "certs/aws/http_client.hpp"
#include "certs/openssl_ptr.hpp"

namespace mtls::certs {

inline constexpr std::chrono::seconds kOcspFetchTimeout{10};

// The DER response, unchecked (check_own_staple checks it). Throws std::runtime_error naming
// the URL: no OCSP URL in the leaf, the responder unreachable, a status other than 200.
std::string fetch_ocsp_response(const std::string& url, X509* leaf, X509* issuer,
                                aws::HttpClient& http);

}  // namespace mtls::certs
