#include "proxy/http/authorize.hpp"

namespace mtls::proxy::http {

// The handshake already applied the listener's `allow` policy to the peer; without route rules
// every request of an admitted peer is allowed.
Authorization authorize_request(const ListenerSpec&, const RequestFacts&) { return {}; }

}  // namespace mtls::proxy::http
