#!/usr/bin/env bash
# scaling.sh - workers N vs 1: the same pair with `workers: N` for N = 1 .. the usable
# CPUs, each driven at full speed by mtls-load; reports handshakes/s (direct: client certificate
# -> INBOUND) and keep-alive requests/s (chain: --plain -> OUTBOUND -> INBOUND -> backend), and
# the CPU the proxies used. The load generator shares the box, so on few cores the numbers show
# where the proxies stop being the bottleneck rather than linear scaling.
# Usage: scaling.sh [--duration 5] [--max N] [--system mtls-sidecar|haproxy]
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DURATION=5 MAX=$(nproc) SYSTEM=mtls-sidecar
while [ $# -gt 0 ]; do
  case $1 in
    --duration) DURATION=$2; shift ;;
    --max) MAX=$2; shift ;;
    --system) SYSTEM=$2; shift ;;
    *) sed -n '2,7p' "$0"; exit 2 ;;
  esac
  shift
done
source "$HERE/bench_lib.sh"
bl_setup scaling
P=$W/pki
TLS_ARGS=(--cert "$P/client.crt" --key "$P/client.key" --ca "$P/ca.crt" --sni backend.local)
hz=$(getconf CLK_TCK)
rate() { python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))[sys.argv[2]]))" "$1" "$2"; }

echo "# $SYSTEM, $(nproc) usable CPUs, mtls-load with 2 threads x 32 connections, ${DURATION}s per point"
printf '| workers | handshakes/s (direct) | inbound CPU %% | keep-alive req/s (chain) | out + in CPU %% |\n|---:|---:|---:|---:|---:|\n'
for n in $(seq 1 "$MAX"); do
  BL_THREADS=$n
  bl_pair "$SYSTEM" || { echo "pair with $n workers failed" >&2; exit 1; }
  i0=$(bl_cpu_ticks "$BL_IN_PID")
  "$LOAD" --target "127.0.0.1:$BL_IN_PORT" "${TLS_ARGS[@]}" --mode handshake --threads 2 --conns 32 \
    --duration "${DURATION}s" --json "$W/h.json" >/dev/null 2>&1
  i1=$(bl_cpu_ticks "$BL_IN_PID") o1=$(bl_cpu_ticks "$BL_OUT_PID")
  "$LOAD" --target "127.0.0.1:$BL_OUT_PORT" --plain --mode keepalive --threads 2 --conns 32 \
    --duration "${DURATION}s" --json "$W/k.json" >/dev/null 2>&1
  i2=$(bl_cpu_ticks "$BL_IN_PID") o2=$(bl_cpu_ticks "$BL_OUT_PID")
  awk -v n="$n" -v h="$(rate "$W/h.json" handshakes_per_s)" -v k="$(rate "$W/k.json" requests_per_s)" \
    -v ci=$((i1 - i0)) -v cp=$((i2 - i1 + o2 - o1)) -v hz="$hz" -v d="$DURATION" \
    'BEGIN { printf "| %d | %d | %.0f | %d | %.0f |\n", n, h, 100 * ci / hz / d, k, 100 * cp / hz / d }'
  bl_stop "$BL_OUT_PID" "$BL_IN_PID"
done
