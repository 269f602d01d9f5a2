// The top level of the schema and its small sections (admin, trust, tls, limits, metrics).

#include <cstdint>
#include <limits>
#include <string>

#include "config/names.hpp"
#include "config/schema.hpp"

namespace mtls::config::detail {
namespace {

void read_tls(const MapReader& top, TlsConfig& out) {
  const MapReader tls(top.diag(), top.get("tls"),
                      {"min_version", "cipher_suites", "session_resumption", "session_max_age"});
  // TLS 1.0 and 1.1 are deprecated (RFC 8996): not even offered as a choice.
  std::string version;
  if (auto f = tls.get("min_version"); f && read_string(top.diag(), *f, version)) {
    if (version == "1.2" || version == "1.3") {
      out.min_version = version;
    } else {
      top.diag().add(f->at, f->path,
                     "unsupported version \"" + version + "\"; expected \"1.2\" or \"1.3\"");
    }
  }
  tls.read("cipher_suites", out.cipher_suites);  // OpenSSL judges the list when building contexts
  tls.read("session_resumption", out.session_resumption);
  tls.read("session_max_age", out.session_max_age, false);
}

void read_limits(const MapReader& top, Limits& out) {
  const MapReader limits(top.diag(), top.get("limits"),
                         {"handshake_timeout", "connect_timeout", "idle_timeout", "drain_delay",
                          "drain_timeout", "max_connections", "max_connection_age"});
  limits.read("handshake_timeout", out.handshake_timeout, false);
  limits.read("connect_timeout", out.connect_timeout, false);
  limits.read("idle_timeout", out.idle_timeout, false);
  limits.read("drain_delay", out.drain_delay, true);  // 0: stop accepting at once (tests, dev)
  limits.read("drain_timeout", out.drain_timeout, false);
  limits.read_integer("max_connections", out.max_connections, 1,
                      std::numeric_limits<std::uint32_t>::max());
  limits.read("max_connection_age", out.max_connection_age, true);  // 0: off (the default)
}

void read_trust(const MapReader& top, TrustConfig& out) {
  const MapReader trust(top.diag(), top.get("trust"), {"ca_bundle", "crl", "crl_stale"});
  trust.read("ca_bundle", out.ca_bundle);  // required unless local_ca: validate.cpp
  trust.read("crl", out.crl);
  std::string stale;
  if (auto f = trust.get("crl_stale"); f && read_string(top.diag(), *f, stale)) {
    if (stale == "refuse" || stale == "warn") {
      out.crl_stale = stale == "warn" ? CrlStale::warn : CrlStale::refuse;
    } else {
      top.diag().add(f->at, f->path, "unknown policy \"" + stale + "\"; expected refuse or warn");
    }
  }
}

}  // namespace

std::string_view source_name(IdentitySource source) {
  switch (source) {
    case IdentitySource::file:
      return "file";
    case IdentitySource::local_ca:
      return "local_ca";
    case IdentitySource::acm:
      return "acm";
  }
  return "?";
}

void read_config(const YAML::Node& root, Diagnostics& diag, Config& out) {
  const MapReader top(
      diag, Field{root, "", {1, 1}},
      {"admin", "workers", "identity", "trust", "tls", "inbound", "outbound", "limits", "metrics",
       "run_as_user"});
  const MapReader admin(diag, top.get("admin"), {"listen"});
  admin.read("listen", out.admin.listen, 0, Need::optional);
  top.read_integer("workers", out.workers, 0, 256);
  read_identity(top, out.identity);
  read_trust(top, out.trust);
  read_tls(top, out.tls);
  read_listeners(top, out);
  read_limits(top, out.limits);
  const MapReader metrics(diag, top.get("metrics"), {"max_peer_labels"});
  metrics.read_integer("max_peer_labels", out.metrics.max_peer_labels, 0, 100000);
  top.read("run_as_user", out.run_as_user, Need::optional, check_user_name);
}

}  // namespace mtls::config::detail
