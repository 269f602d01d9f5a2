#!/usr/bin/env bash
# run.sh - the whole benchmark in one command: ../shared/bench/peers.sh with mtls-sidecar
# as the candidate (full handshakes + idle memory, then with resumption), latency.sh (mtls-load:
# handshake rate and latency, resumption rate, idle RSS), ab.sh (interleaved CPU medians against
# HAProxy, 4 modes), then report.py
# regenerates README.md and chart.png. Needs root (peers.sh apt-installs haproxy/stunnel/nginx/wrk).
# Usage: run.sh [--duration 5] [--pin] [--idle 2000] [--only-report] [--skip-latency] [--skip-ab]
# Builds nothing: point MTLS_SIDECAR / MTLS_LOAD at binaries, or it takes ../../build-bench, then
# ../../build (cmake --build BUILD --target mtls-sidecar mtls-load).
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/bench_lib.sh"
DURATION=5 PIN="" IDLE=2000 ONLY_REPORT=0 SKIP_LATENCY=0 SKIP_AB=0
while [ $# -gt 0 ]; do
  case $1 in
    --duration) DURATION=$2; shift ;;
    --pin) PIN=--pin ;;
    --idle) IDLE=$2; shift ;;
    --only-report) ONLY_REPORT=1 ;;
    --skip-latency) SKIP_LATENCY=1 ;;
    --skip-ab) SKIP_AB=1 ;;
    *) sed -n '2,10p' "$0"; exit 2 ;;
  esac
  shift
done
RESULTS=$HERE/results
mkdir -p "$RESULTS"
REPORT=(python3 "$HERE/report.py" --results "$RESULTS" --out "$HERE/README.md" --chart "$HERE/chart.png")
# matplotlib comes from Debian (python3-matplotlib), which only the system interpreter sees.
[ -x /usr/bin/python3 ] && REPORT[0]=/usr/bin/python3
if [ "$ONLY_REPORT" = 1 ]; then exec "${REPORT[@]}"; fi

pick() { local b; for b in "$@"; do [ -x "$b" ] && { echo "$b"; return; }; done; }
export MTLS_SIDECAR=${MTLS_SIDECAR:-$(pick "$HERE/../../build-bench/proxy/mtls-sidecar" "$HERE/../../build/proxy/mtls-sidecar")}
export MTLS_LOAD=${MTLS_LOAD:-$(pick "$HERE/../../build-bench/tests/bench/mtls-load" "$HERE/../../build/tests/bench/mtls-load")}
[ -n "$MTLS_SIDECAR" ] && [ -n "$MTLS_LOAD" ] || { echo "build mtls-sidecar and mtls-load first" >&2; exit 1; }
PEERS=${PEERS:-$(cd "$HERE/../../.." && pwd)/shared/bench/peers.sh}
[ -x "$PEERS" ] || { echo "peers.sh not found at $PEERS (set PEERS)" >&2; exit 1; }
if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  apt-get install -y -qq python3-matplotlib >/dev/null 2>&1 || echo "# python3-matplotlib unavailable: no chart" >&2
fi

CAND="$HERE/candidate.sh"
ARGS='{listen} {upstream} {cert} {key} {ca} {server_name} {peer_uri} {workdir} {threads} {resume}'
export CANDIDATE_NAME=mtls-sidecar CANDIDATE_OUT="$CAND out $ARGS" CANDIDATE_IN="$CAND in $ARGS"
{
  echo "sidecar: $MTLS_SIDECAR ($("$MTLS_SIDECAR" version 2>/dev/null | head -1))"
  echo "commit: $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null)$(git -C "$HERE" diff --quiet HEAD -- 2>/dev/null || echo ' + uncommitted changes')"
  echo "started: $(date -u +%FT%TZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "commands:"
  echo "  $PEERS --duration $DURATION $PIN --idle $IDLE --json results/peers-full.json"
  echo "  $PEERS --duration $DURATION $PIN --resume --idle 0 --json results/peers-resume.json"
  [ "$SKIP_LATENCY" = 1 ] || echo "  tests/bench/latency.sh --duration $DURATION --json results/latency.json"
  [ "$SKIP_AB" = 1 ] || echo "  tests/bench/ab.sh --mode MODE [--resume] --rounds 5 --duration $DURATION cur=\$MTLS_SIDECAR haproxy"
} >"$RESULTS/run-info.txt"

# Each peers.sh run is bounded by its phases (--duration each) and kills what it starts by PID.
"$PEERS" --duration "$DURATION" $PIN --idle "$IDLE" --json "$RESULTS/peers-full.json" \
  >"$RESULTS/peers-full.md" 2>"$RESULTS/peers-full.log"
echo "# peers.sh (full handshakes, idle) done: $RESULTS/peers-full.md" >&2
"$PEERS" --duration "$DURATION" $PIN --resume --idle 0 --json "$RESULTS/peers-resume.json" \
  >"$RESULTS/peers-resume.md" 2>"$RESULTS/peers-resume.log"
echo "# peers.sh --resume done: $RESULTS/peers-resume.md" >&2
if [ "$SKIP_LATENCY" = 0 ]; then
  "$HERE/latency.sh" --duration "$DURATION" --json "$RESULTS/latency.json" 2>"$RESULTS/latency.log"
  echo "# latency.sh done: $RESULTS/latency.json" >&2
fi
if [ "$SKIP_AB" = 0 ]; then
  variants=("cur=$MTLS_SIDECAR")
  for m in handshake resume keepalive bulk; do
    a=(--mode "$m"); [ "$m" = resume ] && a=(--mode handshake --resume)
    { echo "# ./ab.sh ${a[*]} --rounds 5 --duration $DURATION ${variants[*]} haproxy"
      "$HERE/ab.sh" "${a[@]}" --rounds 5 --duration "$DURATION" "${variants[@]}" haproxy 2>/dev/null
    } >"$RESULTS/ab-$m.txt"
  done
  echo "# ab.sh done: $RESULTS/ab-*.txt" >&2
fi
echo "finished: $(date -u +%FT%TZ); load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/run-info.txt"
# Committed results name files relative to the repository, never by this machine's paths.
bl_relative_paths "$RESULTS"/*.txt "$RESULTS"/*.log "$RESULTS"/*.md "$RESULTS"/*.json
"${REPORT[@]}"
