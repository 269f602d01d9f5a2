#include "metrics/labels.hpp"

#include <array>

namespace mtls::metrics {
namespace {
constexpr std::array<std::string_view, kHandshakeReasons> kReasonNames = {
    "ok",      "no_peer_cert",    "unknown_ca",      "expired",          "not_yet_valid",
    "revoked", "bad_certificate", "identity_denied", "protocol_version", "no_shared_cipher",
    "timeout", "peer_closed",     "crl_stale",       "truncated",        "plaintext",
    "other"};
constexpr std::array<std::string_view, kConnectFailures> kConnectNames = {
    "refused", "timeout", "unreachable", "dns", "limit"};
constexpr std::array<std::string_view, kRefusedReasons> kRefusedNames = {
    "max_connections",    "draining",      "accept_error",
    "max_connection_age", "trust_changed", "no_identity"};
}  // namespace

std::string_view name(Direction d) { return d == Direction::inbound ? "inbound" : "outbound"; }
std::string_view name(HandshakeReason r) { return kReasonNames[index(r)]; }
std::string_view name(ConnectFailure r) { return kConnectNames[index(r)]; }
std::string_view name(RefusedReason r) { return kRefusedNames[index(r)]; }
std::string_view name(TlsVersion v) { return v == TlsVersion::tls1_2 ? "TLSv1.2" : "TLSv1.3"; }
std::string_view name(Side s) { return s == Side::downstream ? "downstream" : "upstream"; }

}  // namespace mtls::metrics
