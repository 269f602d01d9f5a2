#pragma once
// `mtls-sidecar demo`: the in-transit encryption demo (README "Quick start").

namespace mtls::proxy {

// Runs every step, prints the report, returns 0 only if every step behaved as expected.
int run_demo();

}  // namespace mtls::proxy
