#include "proxy/http/authorize.hpp"

#include "proxy/http/route_policy.hpp"

namespace mtls::proxy::http {

// The handshake already applied the listener's `allow` policy to the peer; the route rules then
// decide per request.
Authorization authorize_request(const ListenerSpec& listener, const RequestFacts& request) {
  if (!listener.routes) return {};
  const RoutePolicy::Decision d =
      listener.routes->decide(request.peer, request.method, request.target);
  return {d.allowed(), d.outcome == RoutePolicy::Outcome::bad_path, std::string(d.rule)};
}

}  // namespace mtls::proxy::http
