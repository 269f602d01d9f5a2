#include "proxy/http/route_policy.hpp"

#include <algorithm>
#include <utility>

#include "config/http_path.hpp"

namespace mtls::proxy::http {

RoutePolicy::RoutePolicy(std::vector<config::RouteRule> rules) : rules_(std::move(rules)) {}

RoutePolicy::Peer RoutePolicy::bind(const certs::PeerIdentity& peer) const {
  Peer bound;
  bound.display_ = peer.display();
  for (std::uint32_t i = 0; i < rules_.size(); ++i) {
    if (certs::authorize(peer, rules_[i].peers).allowed) bound.rules_.push_back(i);
  }
  return bound;
}

bool RoutePolicy::path_matches(const config::RouteRule& rule, std::string_view path) {
  if (std::find(rule.paths.begin(), rule.paths.end(), path) != rule.paths.end()) return true;
  return std::any_of(rule.prefixes.begin(), rule.prefixes.end(), [&](const std::string& prefix) {
    if (!path.starts_with(prefix)) return false;
    // Whole segments only: the prefix ends at a '/', or the path does, or continues with one.
    return prefix.ends_with('/') || path.size() == prefix.size() || path[prefix.size()] == '/';
  });
}

RoutePolicy::Decision RoutePolicy::decide(const Peer& peer, std::string_view method,
                                          std::string_view target) const {
  Decision decision;
  if (!enabled()) {
    decision.outcome = Outcome::allowed;
    return decision;
  }
  config::CanonicalPath canonical = config::canonical_path(target);
  if (!canonical.ok) {
    decision.outcome = Outcome::bad_path;
    decision.why = std::move(canonical.why);
    return decision;
  }
  for (const std::uint32_t index : peer.rules_) {
    const config::RouteRule& rule = rules_[index];
    const bool method_ok =
        rule.methods.empty() ||
        std::find(rule.methods.begin(), rule.methods.end(), method) != rule.methods.end();
    if (method_ok && path_matches(rule, canonical.path)) {
      decision.outcome = Outcome::allowed;
      decision.rule = rule.name;
      return decision;
    }
  }
  decision.why =
      "no route allows " + std::string(method) + " " + canonical.path + " for " + peer.display_;
  return decision;
}

}  // namespace mtls::proxy::http
