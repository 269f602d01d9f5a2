#include "certs/ocsp_fetch.hpp"

#include <openssl/ocsp.h>

#include <stdexcept>

#include "certs/aws/endpoints.hpp"

namespace mtls::certs {
namespace {

using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, OpenSslDeleter<OCSP_REQUEST_free>>;

// A request for one certificate, named by SHA-1 hashes (what every responder understands; the
// hash only names the issuer, it signs nothing). No nonce: a stapled response is shared by every
// handshake, so responders cache and pre-sign them and most ignore nonces.
std::string request_der(X509* leaf, X509* issuer) {
  const OcspRequestPtr request(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer);
  if (!request || id == nullptr || OCSP_request_add0_id(request.get(), id) == nullptr) {
    OCSP_CERTID_free(id);
    throw std::runtime_error("cannot build an OCSP request: " + drain_openssl_errors());
  }
  unsigned char* der = nullptr;
  const int n = i2d_OCSP_REQUEST(request.get(), &der);
  std::string out(reinterpret_cast<char*>(der), n > 0 ? std::size_t(n) : 0);
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::string fetch_ocsp_response(const std::string& url, X509* leaf, X509* issuer,
                                aws::HttpClient& http) {
  if (url.empty())
    throw std::runtime_error(
        "the certificate names no OCSP responder (Authority Information "
        "Access) to fetch its OCSP response from");
  if (issuer == nullptr)
    throw std::runtime_error(
        "the certificate's issuer is neither in its chain nor among the "
        "trusted roots, so no OCSP request can name it");
  aws::Url server;
  try {
    server = aws::parse_url(url);
  } catch (const std::exception& e) {
    throw std::runtime_error("OCSP responder " + url + ": " + e.what());
  }
  aws::HttpRequest request{.method = "POST",
                           .path = server.path,
                           .query = {},
                           .headers = {{"Host", server.host_header()},
                                       {"Content-Type", "application/ocsp-request"},
                                       {"Accept", "application/ocsp-response"}},
                           .body = request_der(leaf, issuer)};
  aws::HttpResponse response;
  try {
    response = http.send(server, request, kOcspFetchTimeout);
  } catch (const std::exception& e) {
    throw std::runtime_error("OCSP responder " + url + ": " + e.what());
  }
  if (response.status != 200)
    throw std::runtime_error("OCSP responder " + url + " answered HTTP " +
                             std::to_string(response.status));
  return std::move(response.body);
}

}  // namespace mtls::certs
