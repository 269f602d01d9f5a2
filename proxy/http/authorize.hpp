#pragma once
// The per-request authorization seam of inbound HTTP listeners. Every request is asked here,
// after strict parsing and before anything reaches the app, with the verified peer, the method
// and the target: the listener's route rules (`allow.routes`) decide; without them every request
// of a peer the handshake admitted passes.

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
  bool bad_path = false;  // refused because the path is ambiguous (400), not by a rule (403)
  std::string rule;       // the rule that allowed it, for the access log ("" when none applies)
};

// Worker thread; must not block. A denied request is answered 403 and counted route_denied, an
// ambiguous path 400 and bad_path.
Authorization authorize_request(const ListenerSpec& listener, const RequestFacts& request);

}  // namespace mtls::proxy::http
