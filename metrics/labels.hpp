#pragma once
// The label values of DESIGN.md §5, as enums, so a data-path counter is an array index and the
// text appears in exactly one place. Logs use the same names, so a log line and a metric agree.

#include <cstddef>
#include <string_view>

namespace mtls::metrics {

enum class Direction { inbound, outbound };

enum class HandshakeReason {
  ok,
  no_peer_cert,
  unknown_ca,
  expired,
  not_yet_valid,
  revoked,
  bad_certificate,
  identity_denied,
  protocol_version,
  no_shared_cipher,
  timeout,
  peer_closed,
  crl_stale,
  truncated,
  plaintext,
  ocsp_missing,   // trust.ocsp: require and the server stapled no OCSP response
  ocsp_invalid,   // a stapled OCSP response that does not verify, is stale or is not about the peer
  spki_mismatch,  // expect.spki_sha256: the server's key is not one of the pinned ones
  other,
};
inline constexpr std::size_t kHandshakeReasons = 19;

// original_dst: a `forward: original_dst` connection without a usable original destination (not
// redirected, or redirected to the listener itself, which would loop).
enum class ConnectFailure { refused, timeout, unreachable, dns, limit, original_dst };
inline constexpr std::size_t kConnectFailures = 6;

// max_connection_age and trust_changed close established connections: older than
// limits.max_connection_age, or a peer the new trust (chain, CRL, policy) refuses after a reload.
// no_identity: accepted before the first identity loaded (a remote source still fetching it).
enum class RefusedReason {
  max_connections,
  draining,
  accept_error,
  max_connection_age,
  trust_changed,
  no_identity,
};
inline constexpr std::size_t kRefusedReasons = 6;

enum class TlsVersion { tls1_2, tls1_3 };
inline constexpr std::size_t kTlsVersions = 2;

enum class Side { downstream, upstream };  // `from` label of mtls_bytes_total

// HTTP mode. `method` is one of the RFC 9110 methods or `other`, so a client cannot mint series.
enum class HttpMethod { GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, CONNECT, TRACE, other };
inline constexpr std::size_t kHttpMethods = 10;
inline constexpr std::size_t kCodeClasses = 5;  // 1xx .. 5xx; index = status / 100 - 1

// Why an HTTP exchange failed (mtls_http_errors_total). The strict-parsing reasons each name the
// RFC 9112 rule a request broke; every one of them is answered 400 and closes the connection.
enum class HttpError {
  bad_request,                 // malformed in a way Beast itself refuses
  header_too_large,            // 431: head over http.max_header_bytes
  body_too_large,              // 413: body over http.max_body_bytes
  content_length_and_chunked,  // both Content-Length and Transfer-Encoding (§6.1)
  bad_content_length,          // duplicate, comma-joined or not a number (§6.3)
  bad_transfer_encoding,       // anything but exactly "chunked" (§6.1)
  obs_fold,                    // a field line continued on the next line (§5.2)
  space_before_colon,          // whitespace between a field name and its colon (§5.1)
  bare_cr_lf,                  // CR not followed by LF, or LF without CR (§2.2)
  bad_header_name,             // a field name with a control or non-token character (§5.1)
  bad_chunk,                   // an invalid chunk size or chunk framing (§7.1)
  request_timeout,             // the head did not arrive within http.request_timeout
  route_denied,                // no route rule (allow.routes) lets this peer send it: 403
  bad_path,                    // an ambiguous path route rules refuse to match (`..`, `%2F`): 400
  upstream_failed,             // connect, handshake or reset before a response: 502
  bad_response,                // the upstream's response was not valid HTTP/1.1: 502
  upstream_unavailable,        // no upstream connection (connect/handshake failed, pool full): 503
};
inline constexpr std::size_t kHttpErrors = 17;

std::string_view name(Direction d);
std::string_view name(HandshakeReason r);
std::string_view name(ConnectFailure r);
std::string_view name(RefusedReason r);
std::string_view name(TlsVersion v);  // "TLSv1.2", OpenSSL's names
std::string_view name(Side s);
std::string_view name(HttpMethod m);
std::string_view name(HttpError e);
std::string_view code_class_name(std::size_t index);  // "1xx" .. "5xx"
HttpMethod http_method(std::string_view method);

template <class E>
constexpr std::size_t index(E e) {
  return static_cast<std::size_t>(e);
}

}  // namespace mtls::metrics
