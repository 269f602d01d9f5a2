#!/usr/bin/env bash
# podman with the flags some hosts need, in one place: --cgroup-manager=cgroupfs and the runc
# runtime where systemd does not manage cgroups or crun refuses a hybrid cgroup layout (a CI
# container, a minimal VM). A developer's own Docker or podman needs none of this.
#   MTLS_PODMAN_FLAGS="..."  replaces the global flags (set it empty to use podman's defaults)
# `run` also gets explicit ulimits: podman's default raises nofile above a low hard limit and
# fails with "setrlimit ... Operation not permitted".
set -euo pipefail
flags=${MTLS_PODMAN_FLAGS---cgroup-manager=cgroupfs --runtime runc}
# shellcheck disable=SC2086  # flags are words
if [ "${1:-}" = run ]; then
  shift
  exec podman $flags run --ulimit nofile=1024:4096 --ulimit nproc=1024:4096 "$@"
fi
exec podman $flags "$@"
