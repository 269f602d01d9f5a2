#pragma once
// `mtls-sidecar demo`: the in-transit encryption demo (README "Quick start").

namespace mtls::proxy {

// Runs every step, prints the report, returns 0 only if every step behaved as expected.
int run_demo();

// `demo --netns`: the same story across network namespaces, with tcpdump on the bridge between
// them (netns_demo.cpp). Root only: returns 2 with a one-line reason when it cannot run.
int run_netns_demo();

}  // namespace mtls::proxy
