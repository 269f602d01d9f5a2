// identity: which source, and its section. Sections of other sources may stay in the file (so
// switching is one line) and are checked for types and syntax, but nothing in them is required.

#include <charconv>
#include <optional>
#include <string>

#include "config/names.hpp"
#include "config/schema.hpp"

namespace mtls::config::detail {
namespace {

std::optional<IdentitySource> read_source(const MapReader& identity) {
  const std::optional<Field> f = identity.require("source");
  std::string text;
  if (!f || !read_string(identity.diag(), *f, text)) return std::nullopt;
  for (IdentitySource s : {IdentitySource::file, IdentitySource::local_ca, IdentitySource::acm}) {
    if (text == source_name(s)) return s;
  }
  identity.diag().add(f->at, f->path,
                      "unknown source \"" + text + "\"; expected file, local_ca or acm");
  return std::nullopt;
}

std::optional<Field> section(const MapReader& identity, IdentitySource source, bool chosen) {
  const std::string_view name = source_name(source);
  if (!chosen) return identity.get(name);
  return identity.require(name, "is required when source is " + std::string(name));
}

void read_file(const MapReader& identity, bool chosen, FileIdentity& out) {
  const MapReader file(identity.diag(), section(identity, IdentitySource::file, chosen),
                       {"cert", "key", "key_passphrase_file", "key_passphrase_env", "key_kms",
                        "poll_interval", "ocsp_response", "ocsp_fetch"});
  const Need need = chosen ? Need::required : Need::optional;
  file.read("cert", out.cert, need);
  file.read("key", out.key, need);
  file.read("key_passphrase_file", out.key_passphrase_file);
  file.read("key_passphrase_env", out.key_passphrase_env, Need::optional, check_env_name);
  file.read("key_kms", out.key_kms);
  file.read("poll_interval", out.poll_interval, false);
  file.read("ocsp_response", out.ocsp_response);
  file.read("ocsp_fetch", out.ocsp_fetch);
}

// A fraction of the certificate's lifetime, written as a decimal: 0.667. Past 0.9 the ±10 %
// jitter could push a renewal beyond expiry; below 0.1 a sidecar mostly renews.
void read_renew_at(const MapReader& ca, double& out) {
  const std::optional<Field> f = ca.get("renew_at");
  std::string text;
  if (!f || !read_string(ca.diag(), *f, text)) return;
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || !(value >= 0.1 && value <= 0.9)) {
    ca.diag().add(f->at, f->path,
                  "\"" + text + "\": expected a fraction of ttl between 0.1 and 0.9, like 0.667");
    return;
  }
  out = value;
}

void read_local_ca(const MapReader& identity, bool chosen, LocalCaIdentity& out) {
  const MapReader ca(identity.diag(), section(identity, IdentitySource::local_ca, chosen),
                     {"dir", "spiffe_id", "dns_names", "ttl", "renew_at", "key_passphrase_file",
                      "key_passphrase_env"});
  const Need need = chosen ? Need::required : Need::optional;
  ca.read("dir", out.dir, need);
  ca.read("spiffe_id", out.spiffe_id, need, check_spiffe_id);
  read_strings(identity.diag(), ca.get("dns_names"), out.dns_names, check_host_name);
  ca.read("ttl", out.ttl, false);
  read_renew_at(ca, out.renew_at);
  ca.read("key_passphrase_file", out.key_passphrase_file);
  ca.read("key_passphrase_env", out.key_passphrase_env, Need::optional, check_env_name);
}

void read_acm(const MapReader& identity, bool chosen, AcmIdentity& out) {
  const MapReader acm(identity.diag(), section(identity, IdentitySource::acm, chosen),
                      {"certificate_arn", "region", "endpoint", "refresh_interval"});
  const Need need = chosen ? Need::required : Need::optional;
  acm.read("certificate_arn", out.certificate_arn, need, check_acm_arn);
  acm.read("region", out.region, Need::optional, check_aws_region);  // else env, else the ARN
  acm.read("endpoint", out.endpoint, Need::optional, check_endpoint_url);
  acm.read("refresh_interval", out.refresh_interval, false);
}

}  // namespace

void read_identity(const MapReader& top, IdentityConfig& out) {
  const MapReader identity(top.diag(), top.require("identity"),
                           {"source", "file", "local_ca", "acm"});
  const std::optional<IdentitySource> source = read_source(identity);
  if (source) out.source = *source;
  read_file(identity, source == IdentitySource::file, out.file);
  read_local_ca(identity, source == IdentitySource::local_ca, out.local_ca);
  read_acm(identity, source == IdentitySource::acm, out.acm);
}

}  // namespace mtls::config::detail
