#pragma once
// Helpers of the resource-exhaustion and fault tests (tests/integration/exhaustion_*, faults_*):
// raw sockets, process-wide fd and memory figures, metric waits, and the scorecard line.
// Blocking POSIX calls, loopback only; thread-safe except where noted.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "proxy/sidecar/sidecar.hpp"

namespace mtls::test {

// A blocking TCP connection to 127.0.0.1:port; -1 on failure.
int connect_raw(std::uint16_t port);
// Closes with SO_LINGER {on, 0}: the kernel sends RST instead of FIN.
void close_with_reset(int fd);
// Milliseconds until the peer ends `fd` (recv returns 0 or an error), or -1 after cap_ms.
// `reset` (optional) tells whether it ended with an error (RST) rather than a FIN.
long ms_until_closed(int fd, int cap_ms, bool* reset = nullptr);

// Open descriptors of this process (entries of /proc/self/fd, minus the one used to count).
int open_fds();
// Resident set size of this process, KiB (VmRSS).
long rss_kib();
// Raises the soft RLIMIT_NOFILE to min(want, hard); returns the new soft limit.
long raise_fd_limit(long want);

// Polls `sidecar`'s metrics until `name{labels}` (summed over the labels not given) equals
// `want` or `timeout` passes; returns the last value seen (-1: no such series).
double wait_sample(proxy::Sidecar& sidecar, const std::string& name,
                   const std::map<std::string, std::string>& labels, double want,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));

// One line for tests/reliability/scorecard: "SCORE <name> <figure> <pass|fail> <condition>".
void score(const std::string& name, double figure, bool pass, const std::string& condition);

}  // namespace mtls::test
