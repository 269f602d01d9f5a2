#!/usr/bin/env bash
# experiment/run.sh - measure proposed SSL_CTX changes without editing certs/: an LD_PRELOAD shim
# (ssl_ctx_shim.c) adds them to the unmodified mtls-sidecar, which then runs beside HAProxy in
# ../shared/bench/peers.sh (full handshakes + idle, then --resume).
# Usage: experiment/run.sh [--duration 5] [--wrapper DIR] [EXP_NO_AUTO_CHAIN EXP_STATEFUL EXP_READ_AHEAD ...]
#   (default: all three). Results: tests/bench/results/experiment/fixed-{full,resume}.{md,json,log}
#   --wrapper DIR: only build DIR/shim.so and DIR/sidecar (the patched sidecar) and stop, for
#   ab.sh: ab.sh cur=build/proxy/mtls-sidecar fixed=DIR/sidecar haproxy
# profile.sh takes the same shim: PROFILE_ENV="LD_PRELOAD=/path/shim.so EXP_NO_AUTO_CHAIN=1" profile.sh
set -eu -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=$(cd "$HERE/.." && pwd)
DURATION=5 WRAPPER=""
[ "${1:-}" = --duration ] && { DURATION=$2; shift 2; }
[ "${1:-}" = --wrapper ] && { WRAPPER=$2; shift 2; }
FLAGS=${*:-EXP_NO_AUTO_CHAIN EXP_STATEFUL EXP_READ_AHEAD}
SIDECAR=${MTLS_SIDECAR:-$BENCH/../../build-bench/proxy/mtls-sidecar}
[ -x "$SIDECAR" ] || SIDECAR=$BENCH/../../build/proxy/mtls-sidecar
if [ -n "$WRAPPER" ]; then
  mkdir -p "$WRAPPER"; W=$(cd "$WRAPPER" && pwd)
else
  W=$(mktemp -d /tmp/mtls-experiment.XXXXXX)
  trap 'rm -rf "$W"' EXIT
fi
gcc -O2 -shared -fPIC -o "$W/shim.so" "$HERE/ssl_ctx_shim.c" -ldl
{
  printf '#!/bin/sh\n'
  for f in $FLAGS; do printf '%s=1 ' "$f"; done
  printf 'LD_PRELOAD=%s exec %s "$@"\n' "$W/shim.so" "$SIDECAR"
} >"$W/sidecar"
chmod +x "$W/sidecar"
[ -z "$WRAPPER" ] || { echo "$W/sidecar"; exit 0; }
export MTLS_SIDECAR=$W/sidecar CANDIDATE_NAME="mtls-sidecar+${FLAGS// /+}"
A='{listen} {upstream} {cert} {key} {ca} {server_name} {peer_uri} {workdir} {threads} {resume}'
export CANDIDATE_OUT="$BENCH/candidate.sh out $A" CANDIDATE_IN="$BENCH/candidate.sh in $A"
PEERS=${PEERS:-$(cd "$BENCH/../../.." && pwd)/shared/bench/peers.sh}
R=$BENCH/results/experiment
mkdir -p "$R"
"$PEERS" --only haproxy,candidate --duration "$DURATION" --idle 2000 --json "$R/fixed-full.json" \
  >"$R/fixed-full.md" 2>"$R/fixed-full.log"
"$PEERS" --only haproxy,candidate --duration "$DURATION" --resume --idle 0 --json "$R/fixed-resume.json" \
  >"$R/fixed-resume.md" 2>"$R/fixed-resume.log"
echo "experiment ($FLAGS): $R/fixed-full.md, $R/fixed-resume.md"
