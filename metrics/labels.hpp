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
  other,
};
inline constexpr std::size_t kHandshakeReasons = 16;

enum class ConnectFailure { refused, timeout, unreachable, dns, limit };
inline constexpr std::size_t kConnectFailures = 5;

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

std::string_view name(Direction d);
std::string_view name(HandshakeReason r);
std::string_view name(ConnectFailure r);
std::string_view name(RefusedReason r);
std::string_view name(TlsVersion v);  // "TLSv1.2", OpenSSL's names
std::string_view name(Side s);

template <class E>
constexpr std::size_t index(E e) {
  return static_cast<std::size_t>(e);
}

}  // namespace mtls::metrics
