#include "metrics/labels.hpp"

#include <array>

namespace mtls::metrics {
namespace {
constexpr std::array<std::string_view, kHandshakeReasons> kReasonNames = {
    "ok",
    "no_peer_cert",
    "unknown_ca",
    "expired",
    "not_yet_valid",
    "revoked",
    "bad_certificate",
    "identity_denied",
    "protocol_version",
    "no_shared_cipher",
    "timeout",
    "peer_closed",
    "crl_stale",
    "truncated",
    "plaintext",
    "ocsp_missing",
    "ocsp_invalid",
    "spki_mismatch",
    "other",
};
constexpr std::array<std::string_view, kConnectFailures> kConnectNames = {
    "refused", "timeout", "unreachable", "dns", "limit", "original_dst"};
constexpr std::array<std::string_view, kRefusedReasons> kRefusedNames = {
    "max_connections",    "draining",      "accept_error",
    "max_connection_age", "trust_changed", "no_identity"};
constexpr std::array<std::string_view, kHttpMethods> kMethodNames = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "other"};
constexpr std::array<std::string_view, kHttpErrors> kHttpErrorNames = {"bad_request",
                                                                       "header_too_large",
                                                                       "body_too_large",
                                                                       "content_length_and_chunked",
                                                                       "bad_content_length",
                                                                       "bad_transfer_encoding",
                                                                       "obs_fold",
                                                                       "space_before_colon",
                                                                       "bare_cr_lf",
                                                                       "bad_header_name",
                                                                       "bad_chunk",
                                                                       "request_timeout",
                                                                       "route_denied",
                                                                       "bad_path",
                                                                       "upstream_failed",
                                                                       "bad_response",
                                                                       "upstream_unavailable"};
constexpr std::array<std::string_view, kCodeClasses> kCodeClassNames = {"1xx", "2xx", "3xx", "4xx",
                                                                        "5xx"};
}  // namespace

std::string_view name(HttpMethod m) { return kMethodNames[index(m)]; }
std::string_view name(HttpError e) { return kHttpErrorNames[index(e)]; }
std::string_view code_class_name(std::size_t i) { return kCodeClassNames[i]; }
// Methods are case-sensitive (RFC 9110 §9.1): "get" is another method, counted as other.
HttpMethod http_method(std::string_view method) {
  for (std::size_t i = 0; i + 1 < kHttpMethods; ++i)
    if (kMethodNames[i] == method) return static_cast<HttpMethod>(i);
  return HttpMethod::other;
}

std::string_view name(Direction d) { return d == Direction::inbound ? "inbound" : "outbound"; }
std::string_view name(HandshakeReason r) { return kReasonNames[index(r)]; }
std::string_view name(ConnectFailure r) { return kConnectNames[index(r)]; }
std::string_view name(RefusedReason r) { return kRefusedNames[index(r)]; }
std::string_view name(TlsVersion v) { return v == TlsVersion::tls1_2 ? "TLSv1.2" : "TLSv1.3"; }
std::string_view name(Side s) { return s == Side::downstream ? "downstream" : "upstream"; }

}  // namespace mtls::metrics
