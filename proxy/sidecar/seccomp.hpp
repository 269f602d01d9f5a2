#pragma once
// The last step of least privilege for `mtls-sidecar run` (sandbox.hpp lists the others): once
// the identity is loaded, the ports are bound and the user switched, a seccomp filter allows only
// the system calls a running sidecar makes (the list and how it was measured: seccomp.cpp) and
// binds every thread of the process to it (TSYNC: workers, control and loader threads alike).
//
// A call outside the list is not silent: it raises SIGSYS, whose handler writes one line to
// stderr naming the call, counts it (metrics::seccomp_denied, exported as
// mtls_seccomp_denied_total) and makes the call fail with EPERM, as Chromium's sandbox does, so
// the process carries on and the operator sees what to report. The filter is permanent for the
// process: not for tests that run sidecars in-process (a forked child may).

#include <cstddef>
#include <string>

namespace mtls::proxy::seccomp {

struct Status {
  bool installed = false;
  std::size_t allowed = 0;  // system calls on the allow-list for this build and architecture
  std::string detail;       // one line for the log: what was installed, or why not
};

// Whether this kernel takes seccomp filters that trap; `why` says why not.
bool available(std::string& why);

// Installs the SIGSYS handler and the allow-list on every thread of the process. A kernel
// without seccomp filters is not an error: the Status says so and the caller logs it. Throws
// std::runtime_error when the filter cannot be loaded, in particular when a thread cannot be
// synchronised to it: a sidecar half under the filter must not start.
Status install();

}  // namespace mtls::proxy::seccomp
