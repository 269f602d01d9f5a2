#pragma once
// The per-request authorization seam of inbound HTTP listeners. Every request is asked here,
// after strict parsing and before anything reaches the app, with the verified peer, the method
// and the target. This build allows everything; route rules (`allow.routes`) plug in here.

#include <string>
#include <string_view>

#include "certs/peer_identity.hpp"
#include "proxy/listener_spec.hpp"

namespace mtls::proxy::http {

struct RequestFacts {
  const certs::PeerIdentity& peer;
  std::string_view method;
  std::string_view target;
};

struct Authorization {
  bool allowed = true;
  std::string rule;  // the rule that decided, for the access log ("" when none applies)
};

// Worker thread; must not block. A denied request is answered 403 and counted route_denied.
Authorization authorize_request(const ListenerSpec& listener, const RequestFacts& request);

}  // namespace mtls::proxy::http
