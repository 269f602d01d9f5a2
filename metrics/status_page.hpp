#pragma once
// The status page's three files (metrics/status_page/), compiled in at build time so the binary
// serves them with nothing on disk: GET / (HTML), /status.js, /status.css. The script draws
// GET /status. It is a separate file rather than inline so that the page's Content-Security-Policy
// can stay `default-src 'self'` with no 'unsafe-inline' and no hashes to keep in step.

#include <string_view>

namespace mtls::metrics {

inline constexpr std::string_view kStatusCsp =
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string_view status_html();
std::string_view status_js();
std::string_view status_css();

}  // namespace mtls::metrics
