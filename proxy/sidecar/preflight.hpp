#pragma once
// What `check-config` and `run` both do after the config parsed and before anything starts, so
// that check-config answers what run would: every file the identity source reads is loaded and
// validated by the code that serves it (certs::make_source, make_tls_contexts: files exist and
// parse, key matches leaf, chain verifies, bundle not empty, CA directory usable), features this
// build lacks are refused, and private keys and passphrase files are checked for loose modes
// (writable by others: an error; readable by group or others: a warning). Each problem is a
// config::Issue at the field that names the file, paths as written in the config. Binding the
// ports and reaching `forward` are left to `run`.

#include <string>
#include <vector>

#include "config/config.hpp"

namespace mtls::proxy {

struct Preflight {
  std::vector<config::Issue> errors;    // run refuses to start
  std::vector<config::Issue> warnings;  // run starts and logs them; message starts "warning: "
};

// Everything above: what check-config runs.
Preflight preflight(const config::Config& config);
// What `run` checks before the sandbox: features and key file modes only. Sidecar::start loads
// the identity itself (once: with local_ca, a second load would decrypt ca.key again and issue
// a leaf nobody serves); map its certs::LoadError with load_issue().
Preflight preflight_before_run(const config::Config& config);

// A failed identity load as check-config and run report it: at `field` (certs::LoadError's, or
// empty: the cipher suites or the identity), paths as written in the config.
config::Issue load_issue(const config::Config& config, const std::string& field,
                         const std::string& message);

}  // namespace mtls::proxy
