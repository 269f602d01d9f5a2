#pragma once
// What `check-config` and `run` both do after the config parsed and before anything starts, so
// that check-config answers what run would: every file the identity source reads is loaded and
// validated by the code that serves it (certs::make_source, make_tls_contexts: files exist and
// parse, key matches leaf, chain verifies, bundle not empty, CA directory usable), features this
// build lacks are refused, and private keys and passphrase files are checked for loose modes
// (writable by others: an error; readable by group or others: a warning). Each problem is a
// config::Issue at the field that names the file, paths as written in the config. Binding the
// ports and reaching `forward` are left to `run`.

#include <vector>

#include "config/config.hpp"

namespace mtls::proxy {

struct Preflight {
  std::vector<config::Issue> errors;    // run refuses to start
  std::vector<config::Issue> warnings;  // run starts and logs them; message starts "warning: "
};

Preflight preflight(const config::Config& config);

// The parts of the schema this build does not provide (protocol: http):
// the one place that refuses them, for preflight() and for Sidecar::start().
std::vector<config::Issue> not_built(const config::Config& config);

}  // namespace mtls::proxy
