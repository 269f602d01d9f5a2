#!/usr/bin/env bash
# overhead.sh - the cost of mTLS above the plaintext floor: ab.sh's interleaved medians for our pair,
# nginx-stream and HAProxy beside plain-pair (two plaintext HAProxy relays in the same chain), per
# mode. Every pair pays the same kernel cost for loopback TCP; subtracting plain-pair leaves the
# part a TLS proxy controls. Each mode's output (the exact command, the load average before and
# after, every round, the medians) goes to results/overhead-MODE.txt; report.py turns those files
# into README.md's overhead table.
# Usage: overhead.sh [--rounds 5] [--duration 5] [--modes "handshake keepalive bulk"] [NAME=PATH...]
#   NAME=PATH: sidecar binaries to measure (default cur=$MTLS_SIDECAR, else build-bench's, else build's).
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=5 DURATION=5 MODES="handshake keepalive bulk" OURS=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --modes) MODES=$2; shift ;;
    -*) sed -n '2,9p' "$0"; exit 2 ;;
    *) OURS+=("$1") ;;
  esac
  shift
done
if [ ${#OURS[@]} -eq 0 ]; then
  bin=${MTLS_SIDECAR:-}
  for b in "$HERE/../../build-bench/proxy/mtls-sidecar" "$HERE/../../build/proxy/mtls-sidecar"; do
    [ -z "$bin" ] && [ -x "$b" ] && bin=$b
  done
  [ -n "$bin" ] || { echo "overhead.sh: no mtls-sidecar (set MTLS_SIDECAR)" >&2; exit 1; }
  OURS=("cur=$bin")
fi
source "$HERE/bench_lib.sh"
mkdir -p "$HERE/results"
for m in $MODES; do
  f=$HERE/results/overhead-$m.txt
  {
    echo "# tests/bench/ab.sh --mode $m --rounds $ROUNDS --duration $DURATION ${OURS[*]} nginx-stream haproxy plain-pair"
    echo "# commit: $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null)$(git -C "$HERE" diff --quiet HEAD -- ':/' ':(top,exclude)tests/bench/results' 2>/dev/null || echo ' + uncommitted changes')"
    echo "# started: $(date -u +%FT%TZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    "$HERE/ab.sh" --mode "$m" --rounds "$ROUNDS" --duration "$DURATION" "${OURS[@]}" nginx-stream haproxy plain-pair 2>/dev/null
    echo "# finished: $(date -u +%FT%TZ); load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  } | tee "$f"
  bl_relative_paths "$f"
done
