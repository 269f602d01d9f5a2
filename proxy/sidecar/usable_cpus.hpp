#pragma once
// How many CPUs this process may really use: the affinity mask (taskset, cpusets) and a cgroup v2
// CPU quota (Kubernetes/ECS CPU limits) both count, not the host's core count. `workers: 0`
// means one worker per usable CPU.

namespace mtls::proxy {

unsigned usable_cpus();

}  // namespace mtls::proxy
