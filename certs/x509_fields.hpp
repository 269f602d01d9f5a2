#pragma once
// Small readers of X509 fields shared by logs, /certs and metrics.

#include <ctime>
#include <string>

#include "certs/openssl_ptr.hpp"

namespace mtls::certs {

std::time_t to_time_t(const ASN1_TIME* t);
std::string serial_hex(X509* cert);    // "3A9F..." (uppercase hex, as openssl x509 -serial)
std::string subject_text(X509* cert);  // RFC 2253: "CN=web,O=demo"

}  // namespace mtls::certs
