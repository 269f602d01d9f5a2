// Rules that span fields. They run after reading, on the typed config, and point at the fields
// through Diagnostics::where(); a field that already has an issue is skipped, so one mistake is
// reported once.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "config/names.hpp"
#include "config/schema.hpp"

namespace mtls::config::detail {
namespace {

void check_passphrases(const IdentityConfig& identity, Diagnostics& diag) {
  const auto check = [&](const std::string& section, const std::string& file,
                         const std::string& env) {
    if (file.empty() || env.empty()) return;
    const std::string field = section + ".key_passphrase_env";
    diag.add(diag.where(field), field, "set key_passphrase_file or key_passphrase_env, not both");
  };
  check("identity.file", identity.file.key_passphrase_file, identity.file.key_passphrase_env);
  check("identity.local_ca", identity.local_ca.key_passphrase_file,
        identity.local_ca.key_passphrase_env);
  // The envelope's plaintext is an unencrypted PKCS#8 key: KMS takes the passphrase's place.
  if (identity.file.key_kms) {
    for (const auto& [name, value] :
         {std::pair{"key_passphrase_file", &identity.file.key_passphrase_file},
          std::pair{"key_passphrase_env", &identity.file.key_passphrase_env}}) {
      const std::string field = std::string("identity.file.") + name;
      if (value->empty() || diag.has_issue(field)) continue;
      diag.add(diag.where(field), field,
               "not with key_kms: the KMS envelope replaces the passphrase (kms-wrap a plain key)");
    }
  }
  // Two sources of one staple would leave which one is served to timing.
  if (identity.file.ocsp_fetch && !identity.file.ocsp_response.empty() &&
      !diag.has_issue("identity.file.ocsp_fetch")) {
    diag.add(diag.where("identity.file.ocsp_fetch"), "identity.file.ocsp_fetch",
             "not with ocsp_response: the staple is either read from a file or fetched");
  }
}

void check_trust(const Config& config, Diagnostics& diag) {
  // local_ca trusts its own CA certificate when no bundle is given.
  // ...and an ACM Private CA brings its own roots.
  if (config.identity.source == IdentitySource::local_ca || !config.trust.ca_bundle.empty() ||
      !config.trust.acm_pca_arn.empty())
    return;
  if (diag.has_issue("identity.source") || diag.has_issue("trust.ca_bundle") ||
      diag.has_issue("trust.acm_pca_arn"))
    return;
  diag.add(diag.where("trust.ca_bundle"), "trust.ca_bundle",
           "is required when source is " + std::string(source_name(config.identity.source)));
}

// A listener field's value and where it is written.
template <typename T>
struct Placed {
  std::string path;
  Position at;
  T value;
};

// `field` of every listener whose field has no issue yet.
template <typename T>
std::vector<Placed<T>> collect(const Config& config, const Diagnostics& diag,
                               std::string_view field, T InboundListener::*in,
                               T OutboundListener::*out) {
  std::vector<Placed<T>> placed;
  const auto add = [&](std::string path, const T& value) {
    if (!diag.has_issue(path)) placed.push_back({path, diag.where(path), value});
  };
  for (std::size_t i = 0; i < config.inbound.size(); ++i) {
    add(item_path("inbound", i) + "." + std::string(field), config.inbound[i].*in);
  }
  for (std::size_t i = 0; i < config.outbound.size(); ++i) {
    add(item_path("outbound", i) + "." + std::string(field), config.outbound[i].*out);
  }
  return placed;
}

// Reports each entry that clashes with an earlier one, at the later of the two in the file.
template <typename T, typename Clash, typename Message>
void report_clashes(std::vector<Placed<T>> placed, Diagnostics& diag, Clash clash,
                    Message message) {
  std::stable_sort(placed.begin(), placed.end(), [](const auto& a, const auto& b) {
    return std::pair(a.at.line, a.at.column) < std::pair(b.at.line, b.at.column);
  });
  for (std::size_t j = 0; j < placed.size(); ++j) {
    for (std::size_t i = 0; i < j; ++i) {
      if (!clash(placed[i].value, placed[j].value)) continue;
      diag.add(placed[j].at, placed[j].path, message(placed[i], placed[j]));
      break;
    }
  }
}

void check_listener_names(const Config& config, Diagnostics& diag) {
  report_clashes(
      collect(config, diag, "name", &InboundListener::name, &OutboundListener::name), diag,
      [](const std::string& a, const std::string& b) { return !a.empty() && a == b; },
      [](const auto& first, const auto& second) {
        return "duplicate listener name \"" + second.value + "\"; " + first.path +
               " has it already (names are metric labels, unique across inbound and outbound)";
      });
}

void check_policy(const PeerPolicy& policy, const std::string& path, std::string_view empty_message,
                  Diagnostics& diag) {
  if (diag.has_issue(path)) return;
  std::string lists;
  for (const auto& [name, list] : {std::pair{"spiffe_ids", &policy.spiffe_ids},
                                   std::pair{"trust_domains", &policy.trust_domains},
                                   std::pair{"dns_names", &policy.dns_names},
                                   std::pair{"common_names", &policy.common_names}}) {
    if (list->empty()) continue;
    lists += (lists.empty() ? "" : ", ") + std::string(name);
  }
  if (!policy.any && lists.empty()) diag.add(diag.where(path), path, std::string(empty_message));
  if (policy.any && !lists.empty()) {
    diag.add(diag.where(path), path,
             "any: true together with " + lists + " is ambiguous; keep one or the other");
  }
}

// Route rules need requests to match: only protocol: http has them. An empty list would refuse
// every request, which is not what writing `routes: []` usually means.
void check_routes(const InboundListener& listener, std::size_t index, Diagnostics& diag) {
  const std::string path = item_path("inbound", index) + ".allow.routes";
  if (!diag.keys().contains(path) || diag.has_issue(path)) return;
  const std::string protocol_path = item_path("inbound", index) + ".protocol";
  if (listener.protocol != Protocol::http) {
    if (!diag.has_issue(protocol_path)) {
      diag.add(diag.where(path), path,
               "routes need protocol: http (a tcp listener relays bytes and sees no requests)");
    }
    return;
  }
  if (listener.routes.empty()) {
    diag.add(diag.where(path), path,
             "no rules would refuse every request; remove routes to allow every request of an "
             "allowed peer");
    return;
  }
  std::vector<std::string> names;
  for (std::size_t r = 0; r < listener.routes.size(); ++r) {
    const RouteRule& rule = listener.routes[r];
    const std::string rule_path = item_path(path, r);
    if (diag.has_issue(rule_path)) continue;
    check_policy(rule.peers, rule_path,
                 "a rule applies to no one; set any: true for every peer allow admits, or list "
                 "spiffe_ids, trust_domains, dns_names or common_names",
                 diag);
    if (rule.paths.empty() && rule.prefixes.empty()) {
      diag.add(diag.where(rule_path), rule_path,
               "a rule needs paths or prefix; prefix: / matches every path");
    }
    if (std::find(names.begin(), names.end(), rule.name) != names.end()) {
      const std::string name_path = rule_path + ".name";
      diag.add(diag.where(name_path), name_path,
               "duplicate rule name \"" + rule.name + "\" (the access log names the rule)");
    }
    names.push_back(rule.name);
  }
}

bool is_wildcard(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

// forward: original_dst and its destinations map: addresses only, no loop to the listener itself,
// no duplicates; a destination without expect inherits the listener's.
void check_destinations(OutboundListener& listener, std::size_t index, Diagnostics& diag) {
  const std::string base = item_path("outbound", index);
  const std::string list_path = base + ".destinations";
  if (!listener.original_dst) {
    if (diag.keys().contains(list_path) && !diag.has_issue(list_path)) {
      diag.add(diag.where(list_path), list_path,
               "destinations need forward: original_dst (a listener with a fixed forward has one "
               "destination)");
    }
    return;
  }
  const std::string forward_path = base + ".forward";
  if (listener.protocol == Protocol::http && !diag.has_issue(base + ".protocol")) {
    diag.add(diag.where(forward_path), forward_path,
             "original_dst needs protocol: tcp (the HTTP upstream pool keeps one destination per "
             "listener)");
  }
  for (std::size_t d = 0; d < listener.destinations.size(); ++d) {
    OriginalDestination& destination = listener.destinations[d];
    const std::string path = item_path(list_path, d);
    const std::string expect_path = path + ".expect";
    if (diag.keys().contains(expect_path)) {
      check_policy(destination.expect, expect_path,
                   "empty expect; set any: true to accept any server of the trust domain, or "
                   "leave expect out to use the listener's",
                   diag);
    } else {
      destination.expect = listener.expect;
    }
    const std::string match_path = path + ".match";
    if (diag.has_issue(match_path) || diag.has_issue(path)) continue;
    const HostPort& match = destination.match;
    if (!is_ip_literal(match.host)) {
      diag.add(diag.where(match_path), match_path,
               "\"" + match.host +
                   "\" is not an IP address; a redirected connection's original destination is "
                   "an address, never a name");
      continue;
    }
    // A wildcard listener is reachable on every local address; loopback ones are surely ours.
    const bool loopback = match.host.starts_with("127.") || match.host == "::1";
    if (!diag.has_issue(base + ".listen") && match.port == listener.listen.port &&
        (match.host == listener.listen.host || (is_wildcard(listener.listen.host) && loopback))) {
      diag.add(diag.where(match_path), match_path,
               match.to_string() + " is this listener's own address (" + base +
                   ".listen); a connection to it would loop back to the listener");
      continue;
    }
    for (std::size_t e = 0; e < d; ++e) {
      if (listener.destinations[e].match == match) {
        diag.add(diag.where(match_path), match_path,
                 "duplicate destination " + match.to_string() + "; " + item_path(list_path, e) +
                     " has it already");
        break;
      }
    }
  }
}

// Two listeners on one port would share it silently (SO_REUSEPORT) instead of failing to bind.
void check_listen_overlaps(const Config& config, Diagnostics& diag) {
  std::vector<Placed<HostPort>> addresses =
      collect(config, diag, "listen", &InboundListener::listen, &OutboundListener::listen);
  if (!diag.has_issue("admin.listen")) {
    addresses.push_back({"admin.listen", diag.where("admin.listen"), config.admin.listen});
  }
  report_clashes(
      std::move(addresses), diag,
      [](const HostPort& a, const HostPort& b) {
        return a.port != 0 && a.port == b.port &&
               (a.host == b.host || is_wildcard(a.host) || is_wildcard(b.host));
      },
      [](const auto& first, const auto& second) {
        return second.value.to_string() + " overlaps " + first.path + " (" +
               first.value.to_string() + "); each listener needs its own port";
      });
}

}  // namespace

void validate(Config& config, Diagnostics& diag) {
  check_passphrases(config.identity, diag);
  check_trust(config, diag);
  if (config.inbound.empty() && config.outbound.empty() && !diag.has_issue("inbound") &&
      !diag.has_issue("outbound")) {
    diag.add(diag.where("inbound"), "",
             "no listeners; define at least one inbound or outbound listener");
  }
  check_listener_names(config, diag);
  for (std::size_t i = 0; i < config.inbound.size(); ++i) {
    check_policy(config.inbound[i].allow, item_path("inbound", i) + ".allow",
                 "empty allow-list; set any: true to accept any peer of the trust domain", diag);
    check_routes(config.inbound[i], i, diag);
  }
  for (std::size_t i = 0; i < config.outbound.size(); ++i) {
    OutboundListener& listener = config.outbound[i];
    check_policy(listener.expect, item_path("outbound", i) + ".expect",
                 "empty expect; set any: true to accept any server of the trust domain", diag);
    // SNI defaults to the name we dial; an IP literal is not a name (RFC 6066 §3).
    if (listener.server_name.empty() && !is_ip_literal(listener.forward.host)) {
      listener.server_name = listener.forward.host;
    }
    check_destinations(listener, i, diag);
  }
  check_listen_overlaps(config, diag);
}

}  // namespace mtls::config::detail
