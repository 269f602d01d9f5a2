// Fuzz target: config::load_string, the YAML loader with its validation (config/load.cpp).
// Input: a YAML document. Contract checked, beyond "no crash, no leak, no UB":
//  - it returns a Config or throws config::Error, nothing else, and an Error carries at least one
//    issue, each with this file's name, a 1-based line:column and a message;
//  - a Config it returns keeps the promises other layers rely on (DESIGN.md §5): at least one
//    listener; unique, valid names; no two listeners on one port; every policy either `any` or
//    non-empty, never both; every allow-listed SPIFFE ID, trust domain, DNS name and CN admits
//    the peer that presents exactly it (certs::authorize), so no entry is silently dead;
//    non-zero timeouts; hosts without NUL bytes (C APIs would see a shorter, different address).

#include <cstdint>
#include <string>

#include "certs/peer_identity.hpp"
#include "config/config.hpp"
#include "config/names.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/known_issues.hpp"

namespace {

using namespace mtls;

constexpr const char* kName = "fuzz.yaml";

void check_host(const config::HostPort& hp, const std::string& what) {
  FUZZ_CHECK(hp.host.find('\0') == std::string::npos,
             what + " host has a NUL byte: " + hp.to_string());
  FUZZ_CHECK(!hp.host.empty(), what + " has an empty host");
}

void check_admits(const config::PeerPolicy& policy, certs::PeerIdentity peer,
                  const std::string& what) {
  const certs::Verdict v = certs::authorize(peer, policy);
  FUZZ_CHECK(v.allowed && v.reason == "ok", what + " is allow-listed but refused: " + v.detail);
}

void check_policy(const config::PeerPolicy& p, const std::string& where) {
  const bool lists = !p.spiffe_ids.empty() || !p.trust_domains.empty() || !p.dns_names.empty() ||
                     !p.common_names.empty();
  FUZZ_CHECK(p.any != lists, where + ": policy must be `any` or lists, exactly one");
  std::string why;
  for (const std::string& id : p.spiffe_ids) {
    FUZZ_CHECK(config::detail::check_spiffe_id(id, why), where + ": spiffe_id " + id);
    FUZZ_CHECK(!certs::spiffe_trust_domain(id).empty(),
               where + ": config accepts " + id + " but certs sees no trust domain in it");
    check_admits(p, {.uris = {id}}, where + " spiffe_id " + id);
  }
  for (const std::string& td : p.trust_domains) {
    FUZZ_CHECK(certs::spiffe_trust_domain("spiffe://" + td + "/w") == td, where + ": domain " + td);
    check_admits(p, {.uris = {"spiffe://" + td + "/w"}}, where + " trust domain " + td);
  }
  for (const std::string& dns : p.dns_names) check_admits(p, {.dns_names = {dns}}, where + " dns");
  for (const std::string& cn : p.common_names) check_admits(p, {.common_name = cn}, where + " cn");
}

void check_config(const config::Config& c) {
  FUZZ_CHECK(!c.inbound.empty() || !c.outbound.empty(), "a config without listeners loaded");
  FUZZ_CHECK(c.tls.min_version == "1.2" || c.tls.min_version == "1.3", c.tls.min_version);
  const config::Limits& l = c.limits;
  FUZZ_CHECK(l.handshake_timeout.count() > 0 && l.connect_timeout.count() > 0 &&
                 l.idle_timeout.count() > 0 && l.drain_timeout.count() > 0 &&
                 l.drain_delay.count() >= 0 && l.max_connections >= 1,
             "limits out of range");
  if (c.identity.source != config::IdentitySource::local_ca) {
    FUZZ_CHECK(!c.trust.ca_bundle.empty(), "no trust bundle");
  }
  check_host(c.admin.listen, "admin.listen");
  std::vector<std::pair<std::string, config::HostPort>> listens{{"admin", c.admin.listen}};
  std::vector<std::string> names;
  std::string why;
  const auto listener = [&](const auto& ln, const std::string& where) {
    FUZZ_CHECK(config::detail::check_listener_name(ln.name, why), where + " name: " + why);
    for (const std::string& other : names) FUZZ_CHECK(other != ln.name, "duplicate " + ln.name);
    names.push_back(ln.name);
    check_host(ln.listen, where + ".listen");
    check_host(ln.forward, where + ".forward");
    FUZZ_CHECK(ln.forward.port >= 1, where + ".forward port 0");
    listens.emplace_back(where, ln.listen);
  };
  for (std::size_t i = 0; i < c.inbound.size(); ++i) {
    listener(c.inbound[i], "inbound[" + std::to_string(i) + "]");
    check_policy(c.inbound[i].allow, "inbound[" + std::to_string(i) + "].allow");
  }
  for (std::size_t i = 0; i < c.outbound.size(); ++i) {
    listener(c.outbound[i], "outbound[" + std::to_string(i) + "]");
    check_policy(c.outbound[i].expect, "outbound[" + std::to_string(i) + "].expect");
  }
  const auto wildcard = [](const std::string& h) { return h == "0.0.0.0" || h == "::"; };
  for (std::size_t j = 0; j < listens.size(); ++j) {
    for (std::size_t i = 0; i < j; ++i) {
      const config::HostPort& a = listens[i].second;
      const config::HostPort& b = listens[j].second;
      FUZZ_CHECK(a.port == 0 || a.port != b.port ||
                     (a.host != b.host && !wildcard(a.host) && !wildcard(b.host)),
                 listens[i].first + " and " + listens[j].first + " share " + b.to_string());
    }
  }
}

void check_error(const config::Error& e) {
  FUZZ_CHECK(!e.issues().empty(), "config::Error without issues");
  for (const config::Issue& issue : e.issues()) {
    FUZZ_CHECK(issue.file == kName, issue.to_string());
    FUZZ_CHECK(issue.line >= 1 && issue.column >= 1,
               "issue without a position: " + issue.to_string());
    FUZZ_CHECK(!issue.message.empty(), "issue without a message: " + issue.to_string());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    check_config(config::load_string(fuzz::as_text(data, size), kName, "/fuzz-base"));
  } catch (const config::Error& e) {
    check_error(e);
  }  // anything else escapes: libFuzzer reports the uncaught exception as a crash
  return 0;
}
