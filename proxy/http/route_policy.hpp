#pragma once
// Route authorization of an inbound protocol: http listener (`allow.routes`): may this peer send
// this method to this path? Built once per listener from the config; decide() is pure and const,
// so workers share one policy without locks.
//
// The path is matched in its canonical form (config/http_path.hpp): a request whose path has
// dot segments (plain, %2e-encoded or `..;`), empty segments, encoded slashes or backslashes,
// bad escapes or control bytes is refused as `bad_path` before any rule is looked at, so no
// spelling can make a path look inside an allowed prefix while the app resolves it elsewhere.
// The query is ignored. Paths and methods compare case-sensitively; rules only allow, so a
// case-insensitive app is refused more, never less.
//
// A rule matches when it applies to the peer (its identity fields, with PeerPolicy's semantics:
// certs::authorize), the method is listed (or none is), and the path equals one of `paths` or lies
// under one of `prefixes` by whole segments ("/api" matches /api and /api/x, not /apix; "/api/"
// matches /api/ and below, not /api). The first matching rule in file order names the decision.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "certs/peer_identity.hpp"
#include "config/config.hpp"

namespace mtls::proxy::http {

class RoutePolicy {
 public:
  enum class Outcome { allowed, denied, bad_path };
  struct Decision {
    Outcome outcome = Outcome::denied;
    std::string_view rule;  // allowed: the rule's name (lives as long as the policy)
    std::string why;        // denied / bad_path: for the log line
    bool allowed() const { return outcome == Outcome::allowed; }
  };

  // The rules that apply to one peer; a connection computes it once after the handshake.
  class Peer {
   public:
    bool empty() const { return rules_.empty(); }

   private:
    friend class RoutePolicy;
    std::vector<std::uint32_t> rules_;  // indices, in file order
    std::string display_;
  };

  explicit RoutePolicy(std::vector<config::RouteRule> rules);

  // No rules: every request of an allowed peer passes and its path is not inspected.
  bool enabled() const { return !rules_.empty(); }

  Peer bind(const certs::PeerIdentity& peer) const;
  // `target` is the request-target as received (origin-form, the query included).
  Decision decide(const Peer& peer, std::string_view method, std::string_view target) const;
  Decision decide(const certs::PeerIdentity& peer, std::string_view method,
                  std::string_view target) const {
    return decide(bind(peer), method, target);
  }

 private:
  static bool path_matches(const config::RouteRule& rule, std::string_view path);

  std::vector<config::RouteRule> rules_;
};

}  // namespace mtls::proxy::http
