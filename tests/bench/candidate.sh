#!/usr/bin/env bash
# candidate.sh - mtls-sidecar as the candidate of ../shared/bench/peers.sh (CANDIDATE_OUT/IN hook).
# Usage: candidate.sh out|in {listen} {upstream} {cert} {key} {ca} {server_name} {peer_uri} {workdir} {threads} {resume}
#   out: plaintext {listen} -> mTLS to {upstream}, SNI {server_name}, the server must be {peer_uri}
#   in:  mTLS on {listen} (client must be {peer_uri}) -> plaintext {upstream}
# Writes {workdir}/sidecar-{role}.yaml (schema: config/README.md) and execs `mtls-sidecar run`, so
# peers.sh measures and kills the sidecar itself by PID. The binary: $MTLS_SIDECAR, else the
# build next to this checkout (build-bench, then build). MTLS_BENCH_PROTOCOL=http makes both
# listeners `protocol: http` (default tcp).
set -eu
[ $# -ge 10 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
role=$1 listen=$2 upstream=$3 cert=$4 key=$5 ca=$6 server_name=$7 peer_uri=$8 workdir=$9 threads=${10}
resume=${11:-0}
here=$(cd "$(dirname "$0")" && pwd)
bin=${MTLS_SIDECAR:-}
if [ -z "$bin" ]; then
  for b in "$here/../../build-bench/proxy/mtls-sidecar" "$here/../../build/proxy/mtls-sidecar"; do
    [ -x "$b" ] && { bin=$b; break; }
  done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "candidate.sh: mtls-sidecar not found (set MTLS_SIDECAR)" >&2; exit 1; }
case $role in in|out) ;; *) echo "candidate.sh: role must be in or out" >&2; exit 2 ;; esac
case $resume in 1) resumption=true ;; *) resumption=false ;; esac
protocol=${MTLS_BENCH_PROTOCOL:-tcp}
case $protocol in tcp|http) ;; *) echo "candidate.sh: MTLS_BENCH_PROTOCOL must be tcp or http" >&2; exit 2 ;; esac

mkdir -p "$workdir"
cfg=$workdir/sidecar-$role.yaml
{
  # Port 0: the admin server gets a free port; two sidecars (and peers.sh's negative-test
  # instances) run side by side without clashing.
  printf 'admin: { listen: 127.0.0.1:0 }\n'
  printf 'workers: %s\n' "$threads"
  printf 'identity:\n  source: file\n  file: { cert: "%s", key: "%s" }\n' "$cert" "$key"
  printf 'trust: { ca_bundle: "%s" }\n' "$ca"
  printf 'tls: { min_version: "1.2", session_resumption: %s }\n' "$resumption"
  # The harness holds 2000 idle connections (--idle); the default idle timeout (1h) outlives it.
  printf 'limits: { max_connections: 20000 }\n'
  if [ "$role" = in ]; then
    printf 'inbound:\n  - name: bench-in\n    listen: %s\n    forward: %s\n' "$listen" "$upstream"
    printf '    protocol: %s\n' "$protocol"
    printf '    allow: { spiffe_ids: ["%s"] }\n' "$peer_uri"
  else
    printf 'outbound:\n  - name: bench-out\n    listen: %s\n    forward: %s\n' "$listen" "$upstream"
    printf '    protocol: %s\n' "$protocol"
    printf '    server_name: %s\n    expect: { spiffe_ids: ["%s"] }\n' "$server_name" "$peer_uri"
  fi
} >"$cfg"
exec "$bin" run --config "$cfg" --log-level "${MTLS_LOG_LEVEL:-warn}"
