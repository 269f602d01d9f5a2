#!/usr/bin/env bash
# ab.sh - interleaved A/B/C comparison of CPU per exchange through proxy pairs, medians of N rounds.
# On a box whose load swings (other people's builds), back-to-back runs differ by ±30 %; running the
# variants in turn, several rounds, and taking each one's median cancels most of that drift.
# Usage: ab.sh [--mode handshake|keepalive|bulk] [--resume] [--rounds 5] [--duration 5] VARIANT...
#   VARIANT: haproxy | nginx-stream | stunnel | plain-pair (no TLS: the floor) | NAME=PATH (an mtls-sidecar binary or wrapper script,
#   e.g. cur=build/proxy/mtls-sidecar fixed=/tmp/sidecar-with-shim)
# Load: mtls-load --plain through each pair's outbound listener (16 connections; 4 for bulk).
# Prints per round and the medians: user and sys CPU µs of both proxies per exchange (per MB in bulk).
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
MODE=handshake RESUME=0 ROUNDS=5 DURATION=5 VARIANTS=()
while [ $# -gt 0 ]; do
  case $1 in
    --mode) MODE=$2; shift ;;
    --resume) RESUME=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    -*) sed -n '2,10p' "$0"; exit 2 ;;
    *) VARIANTS+=("$1") ;;
  esac
  shift
done
[ ${#VARIANTS[@]} -ge 1 ] || { sed -n '2,10p' "$0"; exit 2; }
BL_RESUME=$RESUME
source "$HERE/bench_lib.sh"
bl_setup ab

declare -A OUT IN PORT
for v in "${VARIANTS[@]}"; do
  name=${v%%=*} sys=$v
  if [[ "$v" == *=* ]]; then export MTLS_SIDECAR=${v#*=}; sys=mtls-sidecar; fi
  bl_pair "$sys" || { echo "$name: pair failed" >&2; exit 1; }
  OUT[$name]=$BL_OUT_PID IN[$name]=$BL_IN_PID PORT[$name]=$BL_OUT_PORT
done
ticks() { awk '{ l=$0; sub(/^[^(]*\(.*\) /, "", l); split(l, f, " "); print f[12], f[13] }' "/proc/$1/stat"; }
conns=16 unit=exchange key=requests
[ "$MODE" = bulk ] && conns=4 unit=MB key=bytes_in
hz=$(getconf CLK_TCK)
for r in $(seq 1 "$ROUNDS"); do
  for v in "${VARIANTS[@]}"; do
    name=${v%%=*}
    read -r ou0 os0 < <(ticks "${OUT[$name]}"); read -r iu0 is0 < <(ticks "${IN[$name]}")
    "$LOAD" --target "127.0.0.1:${PORT[$name]}" --plain --mode "$MODE" --conns $conns \
      --duration "${DURATION}s" --json "$W/ab.json" >/dev/null 2>&1
    read -r ou1 os1 < <(ticks "${OUT[$name]}"); read -r iu1 is1 < <(ticks "${IN[$name]}")
    n=$(python3 -c "import json; v = json.load(open('$W/ab.json'))['$key']; print(v / 1e6 if '$key' == 'bytes_in' else v)")
    awk -v r="$r" -v v="$name" -v n="$n" -v u=$((ou1 - ou0 + iu1 - iu0)) -v s=$((os1 - os0 + is1 - is0)) \
      -v hz="$hz" -v unit="$unit" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
        if (n > 0) printf "round %d %-10s user %8.2f sys %8.2f total %8.2f us/%s (%s %ss, load %s)\n",
          r, v, u * 1e6 / hz / n, s * 1e6 / hz / n, (u + s) * 1e6 / hz / n, unit, n, unit, load
        else printf "round %d %-10s nothing measured\n", r, v }' | tee -a "$W/rounds"
  done
done
echo "medians over $ROUNDS rounds ($MODE$([ "$RESUME" = 1 ] && echo ', resumption on'), µs of CPU per $unit, both proxies):"
for v in "${VARIANTS[@]}"; do
  name=${v%%=*}
  awk -v v="$name" '$3 == v { u[++n] = $5; s[n] = $7; t[n] = $9 }
    function med(a, n,   i, j, x) { for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    END { if (n) printf "  %-10s user %8.2f  sys %8.2f  total %8.2f\n", v, med(u, n), med(s, n), med(t, n) }' "$W/rounds"
done
