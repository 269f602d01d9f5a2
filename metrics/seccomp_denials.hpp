#pragma once
// Syscalls the seccomp allow-list refused since the process started (proxy/sidecar/seccomp.cpp
// bumps it from its SIGSYS handler; Metrics exports it as mtls_seccomp_denied_total). A plain
// lock-free atomic: the one kind of shared state a signal handler may touch. Process-wide, as
// the filter is.

#include <atomic>
#include <cstdint>

namespace mtls::metrics {

inline constinit std::atomic<std::uint64_t> seccomp_denied{0};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

}  // namespace mtls::metrics
