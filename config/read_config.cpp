// The top level of the schema and its small sections (admin, trust, tls, limits, metrics).

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "config/names.hpp"
#include "config/schema.hpp"

namespace mtls::config::detail {
namespace {

// "1.2" or "1.3" into `out`; TLS 1.0 and 1.1 are deprecated (RFC 8996): not even a choice.
bool read_version(const MapReader& tls, std::string_view key, std::string& out) {
  std::string version;
  const auto f = tls.get(key);
  if (!f || !read_string(tls.diag(), *f, version)) return false;
  if (version != "1.2" && version != "1.3") {
    tls.diag().add(f->at, f->path,
                   "unsupported version \"" + version + "\"; expected \"1.2\" or \"1.3\"");
    return false;
  }
  out = version;
  return true;
}

// Whether the OpenSSL in use knows a suite, group or algorithm is judged by certs/tls_policy
// (check-config and start-up): config/ knows no OpenSSL. Here: syntax and the profile's rules.
void read_tls(const MapReader& top, TlsConfig& out) {
  const MapReader tls(
      top.diag(), top.get("tls"),
      {"profile", "min_version", "max_version", "cipher_suites", "tls13_cipher_suites", "groups",
       "signature_algorithms", "session_resumption", "session_max_age"});
  Diagnostics& diag = top.diag();
  std::string profile;
  if (auto f = tls.get("profile"); f && read_string(diag, *f, profile)) {
    if (profile == "modern" || profile == "intermediate") {
      out.profile = profile == "modern" ? TlsProfile::modern : TlsProfile::intermediate;
    } else {
      diag.add(f->at, f->path,
               "unknown profile \"" + profile + "\"; expected modern or intermediate");
    }
  }
  const bool modern = out.profile == TlsProfile::modern;
  if (modern) out.min_version = "1.3";
  const bool min_set = read_version(tls, "min_version", out.min_version);
  const bool max_set = read_version(tls, "max_version", out.max_version);
  if (modern) {
    // Mozilla's modern profile is TLS 1.3 only: a TLS 1.2 setting contradicts it.
    const auto refuse_1_2 = [&](std::string_view key, bool set, const std::string& version) {
      if (!set || version != "1.2") return;
      const auto f = tls.get(key);
      diag.add(f->at, f->path,
               "profile modern is TLS 1.3 only; use profile: intermediate for TLS 1.2");
    };
    refuse_1_2("min_version", min_set, out.min_version);
    refuse_1_2("max_version", max_set, out.max_version);
    if (auto f = tls.get("cipher_suites"))
      diag.add(f->at, f->path,
               "TLS 1.2 ciphers with profile modern (TLS 1.3 only); use tls13_cipher_suites");
  } else if (min_set && max_set && out.min_version > out.max_version) {
    const auto f = tls.get("max_version");
    diag.add(f->at, f->path,
             "max_version " + out.max_version + " is below min_version " + out.min_version);
  }
  tls.read("cipher_suites", out.cipher_suites);
  tls.read("tls13_cipher_suites", out.tls13_cipher_suites);
  read_strings(diag, tls.get("groups"), out.groups);
  read_strings(diag, tls.get("signature_algorithms"), out.signature_algorithms);
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

// trust.domains: a map from trust domain to the PEM file of its roots. Its keys are names, not
// schema keys, so it is read pair by pair instead of through MapReader's known-key list.
void read_trust_domains(Diagnostics& diag, const std::optional<Field>& field,
                        std::vector<TrustDomainBundle>& out) {
  if (!field) return;
  if (!field->node.IsMap()) {
    diag.add(field->at, field->path,
             "expected a map of trust domain: PEM file, got a " +
                 std::string(field->node.IsSequence() ? "list" : "scalar"));
    return;
  }
  for (auto it = field->node.begin(); it != field->node.end(); ++it) {
    const Position at = position_of(it->first.Mark());
    const std::string domain = it->first.IsScalar() ? it->first.Scalar() : "";
    const std::string path = field->path + "." + domain;
    std::string why;
    if (!check_trust_domain(domain, why)) {
      diag.add(at, path, why);
      continue;
    }
    const auto same = [&](const TrustDomainBundle& b) { return b.domain == domain; };
    if (std::find_if(out.begin(), out.end(), same) != out.end()) {
      diag.add(at, path, "duplicate trust domain");
      continue;
    }
    diag.record_key(path, at);
    std::string file;
    if (!read_string(diag, Field{it->second, path, at}, file)) continue;
    if (file.empty()) {
      diag.add(at, path, "must name the PEM file of the trust domain's roots");
      continue;
    }
    out.push_back({domain, file});
  }
}

void read_trust(const MapReader& top, TrustConfig& out) {
  const MapReader trust(top.diag(), top.get("trust"),
                        {"ca_bundle", "domains", "crl", "crl_stale", "ocsp", "acm_pca_arn",
                         "acm_pca_refresh_interval"});
  trust.read("ca_bundle", out.ca_bundle);  // required unless local_ca or acm_pca_arn: validate.cpp
  trust.read("acm_pca_arn", out.acm_pca_arn, Need::optional, check_acm_pca_arn);
  trust.read("acm_pca_refresh_interval", out.acm_pca_refresh_interval, false);
  read_trust_domains(top.diag(), trust.get("domains"), out.domains);
  trust.read("crl", out.crl);
  std::string stale;
  if (auto f = trust.get("crl_stale"); f && read_string(top.diag(), *f, stale)) {
    if (stale == "refuse" || stale == "warn") {
      out.crl_stale = stale == "warn" ? CrlStale::warn : CrlStale::refuse;
    } else {
      top.diag().add(f->at, f->path, "unknown policy \"" + stale + "\"; expected refuse or warn");
    }
  }
  std::string ocsp;
  if (auto f = trust.get("ocsp"); f && read_string(top.diag(), *f, ocsp)) {
    if (ocsp == "off") {
      out.ocsp = OcspPolicy::off;
    } else if (ocsp == "stapled") {
      out.ocsp = OcspPolicy::stapled;
    } else if (ocsp == "require") {
      out.ocsp = OcspPolicy::require;
    } else {
      top.diag().add(f->at, f->path,
                     "unknown policy \"" + ocsp + "\"; expected off, stapled or require");
    }
  }
}

void read_admin(const MapReader& top, AdminConfig& out) {
  const MapReader admin(top.diag(), top.get("admin"),
                        {"listen", "idle_timeout", "max_connections"});
  admin.read("listen", out.listen, 0, Need::optional);
  // Listener addresses are IP literals, as in Envoy: a name would be resolved once, at start-up,
  // to whichever address came first, and a probe endpoint must not depend on DNS.
  if (auto f = admin.get("listen");
      f && !top.diag().has_issue(f->path) && !is_ip_literal(out.listen.host)) {
    top.diag().add(f->at, f->path,
                   "host \"" + out.listen.host +
                       "\" is not an IP address; the admin server binds an IP literal, like "
                       "127.0.0.1:9901 or \"[::1]:9901\"");
  }
  admin.read("idle_timeout", out.idle_timeout, false);
  admin.read_integer("max_connections", out.max_connections, 1, 10000);
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
  const MapReader top(diag, Field{root, "", {1, 1}},
                      {"admin", "workers", "identity", "trust", "tls", "inbound", "outbound",
                       "limits", "http", "metrics", "run_as_user", "sandbox"});
  read_admin(top, out.admin);
  top.read_integer("workers", out.workers, 0, 256);
  read_identity(top, out.identity);
  read_trust(top, out.trust);
  read_tls(top, out.tls);
  read_listeners(top, out);
  read_limits(top, out.limits);
  read_http(top, out.http);
  const MapReader metrics(diag, top.get("metrics"), {"max_peer_labels"});
  metrics.read_integer("max_peer_labels", out.metrics.max_peer_labels, 0, 100000);
  top.read("run_as_user", out.run_as_user, Need::optional, check_user_name);
  const MapReader sandbox(diag, top.get("sandbox"), {"seccomp"});
  sandbox.read("seccomp", out.sandbox.seccomp);
}

}  // namespace mtls::config::detail
