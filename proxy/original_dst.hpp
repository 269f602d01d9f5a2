#pragma once
// `forward: original_dst`: the address a connection was redirected from (iptables/nftables
// REDIRECT in transparent mode) and the server expected there. The kernel keeps the
// pre-NAT destination in conntrack; getsockopt(SO_ORIGINAL_DST) reads it back on the accepted
// socket. Worker-thread only, no state.

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "proxy/net.hpp"

namespace mtls::proxy {

// Who we originate mTLS to: SNI, the server-name check and the `expect` policy.
struct UpstreamTarget {
  std::string server_name;  // empty: no SNI
  bool verify_server_name = false;
  config::PeerPolicy policy;
};

// One configured `destinations[]` entry, resolved.
struct DestinationRule {
  tcp::endpoint match;
  UpstreamTarget target;
};

// The original destination of `socket` (IPv4: SO_ORIGINAL_DST, IPv6: IP6T_SO_ORIGINAL_DST).
// nullopt, with `why`, when it has none (not redirected, no conntrack entry) or when it is the
// socket's own local address: a connection made straight to the listener would connect back to
// it, and again for every connection that makes, until descriptors run out.
std::optional<tcp::endpoint> original_destination(tcp::socket& socket, std::string& why);

// The rule whose `match` is `to`; nullptr: none, the listener's own server_name/expect apply.
// Index into `rules` through the pointer (the listener keeps one session cache per rule).
const DestinationRule* rule_for(const std::vector<DestinationRule>& rules, const tcp::endpoint& to);

}  // namespace mtls::proxy
