#pragma once
// The JSON document of GET /certs: what identity is served and what is trusted, with the last
// reload and its result (DESIGN.md §5). Control thread only.

#include <ctime>
#include <string>

#include "certs/tls_context_store.hpp"

namespace mtls::certs {

// `contexts` may be null (nothing loaded yet). Times are RFC 3339 UTC, serials hex strings; each
// certificate also has expires_in_seconds (negative once expired). `next_renewal` (0: none, the
// source does not renew by itself) adds the identity's next_renewal and renews_in_seconds: when
// local_ca issues the next leaf.
std::string describe_json(const TlsContexts* contexts, const ReloadResult& last,
                          std::time_t last_attempt, std::time_t next_renewal = 0);

// "2026-11-23T13:29:24Z"
std::string rfc3339(std::time_t t);

}  // namespace mtls::certs
