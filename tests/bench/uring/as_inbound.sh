#!/usr/bin/env bash
# as_inbound.sh - stands in for mtls-sidecar in the bench harness (ab.sh NAME=PATH): the inbound
# sidecar of the pair becomes uring-relay, the outbound stays our sidecar, so the pair's CPU
# differs from ours only by the inbound's event loop and TLS plumbing.
# Usage (as candidate.sh calls it): as_inbound.sh run --config FILE [--log-level L]
#   URING_RELAY: the relay binary (default: build/tests/bench/uring/uring-relay next to this checkout)
#   URING_OUTBOUND: the outbound sidecar binary (default: build/proxy/mtls-sidecar)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
relay=${URING_RELAY:-$here/../../../build/tests/bench/uring/uring-relay}
outbound=${URING_OUTBOUND:-$here/../../../build/proxy/mtls-sidecar}
cfg=""
args=("$@")
while [ $# -gt 0 ]; do
  [ "$1" = --config ] && cfg=$2
  shift
done
[ -n "$cfg" ] || { echo "as_inbound.sh: no --config" >&2; exit 2; }
if ! grep -q '^inbound:' "$cfg"; then exec "$outbound" "${args[@]}"; fi
# candidate.sh's YAML: listen/forward as 127.0.0.1:PORT, the identity files, the CA, the allowed ID.
field() { sed -n "s/.*$1: *\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" "$cfg" | head -1; }
port() { sed -n "/^inbound:/,\$ s/^ *$1: *[0-9.]*:\([0-9]*\).*/\1/p" "$cfg" | head -1; }
exec "$relay" --listen "$(port listen)" --forward "$(port forward)" \
  --cert "$(field cert)" --key "$(field key)" --ca "$(field ca_bundle)" \
  --peer-uri "$(sed -n 's/.*spiffe_ids: \["\([^"]*\)".*/\1/p' "$cfg" | head -1)"
