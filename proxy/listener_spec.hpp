#pragma once
// What a configured listener is, in the form the data path needs it. Built once by Sidecar from
// the config, then read-only and shared by every worker.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "metrics/labels.hpp"
#include "proxy/forward_resolver.hpp"
#include "proxy/net.hpp"
#include "proxy/original_dst.hpp"

namespace mtls::proxy {
namespace http {
class RoutePolicy;
}

struct ListenerSpec {
  std::size_t index = 0;  // into Metrics' listener list
  metrics::Direction direction = metrics::Direction::inbound;
  std::string name;
  tcp::endpoint bound;  // the address every worker's acceptor binds (port resolved)
  config::HostPort forward;
  std::string server_name;    // outbound SNI
  config::PeerPolicy policy;  // inbound `allow` / outbound `expect`
  config::Protocol protocol = config::Protocol::tcp;
  std::shared_ptr<const ForwardResolver::Name>
      forward_name;  // resolved in the background; null: IP
  // Outbound: require server_name among the server certificate's DNS SANs.
  bool verify_server_name = false;
  // Outbound `forward: original_dst`: connect to each connection's original destination, with
  // server_name/policy from the matching rule, else the fields above. `forward` is unused.
  bool original_dst = false;
  std::vector<DestinationRule> destinations;
  // Inbound: what is written to `forward` before the client's bytes.
  config::ProxyProtocol proxy_protocol = config::ProxyProtocol::off;
  config::HttpConfig http;  // protocol: http only
  // Inbound protocol: http with `allow.routes`: per-request authorization; null: no rules.
  std::shared_ptr<const http::RoutePolicy> routes;
};

}  // namespace mtls::proxy
