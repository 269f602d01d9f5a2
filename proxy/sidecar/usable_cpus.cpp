#include "proxy/sidecar/usable_cpus.hpp"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>

namespace mtls::proxy {
namespace {

// cgroup v2 "cpu.max": "max 100000" (no limit) or "QUOTA PERIOD"; 0 when absent or unlimited.
unsigned cgroup_quota_cpus() {
  std::ifstream f("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long period = 0;
  if (!(f >> quota >> period) || quota == "max" || period <= 0) return 0;
  const double cpus = std::stod(quota) / double(period);
  return unsigned(std::max(1.0, std::ceil(cpus)));
}

}  // namespace

unsigned usable_cpus() {
  unsigned n = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) n = std::max(1, CPU_COUNT(&set));
  if (const unsigned quota = cgroup_quota_cpus(); quota > 0) n = std::min(n, quota);
  return n;
}

}  // namespace mtls::proxy
