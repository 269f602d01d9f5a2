#!/usr/bin/env bash
# profile.sh - instruction counts per exchange of one proxy pair under callgrind, and where they go.
# CPU time on this shared 2-core box swings with other people's compilations; instructions do not,
# so this is the profile to trust for "where does our time go" and for before/after comparisons.
# Usage: profile.sh [--system mtls-sidecar|haproxy|nginx-stream|stunnel] [--mode handshake|keepalive|bulk]
#                   [--resume] [--duration 20] [--conns 4] [--out DIR]
#   Both proxies of the pair run under valgrind --tool=callgrind; counters are zeroed after a warm-up
#   and dumped after --duration seconds of mtls-load (--plain, through the outbound listener).
#   Writes DIR/{out,in}.callgrind, DIR/summary.txt (Ir per exchange or byte, top functions). All
#   processes are killed by PID at the end.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SYSTEM=mtls-sidecar MODE=handshake RESUME=0 DURATION=20 CONNS=4 OUT=""
while [ $# -gt 0 ]; do
  case $1 in
    --system) SYSTEM=$2; shift ;;
    --mode) MODE=$2; shift ;;
    --resume) RESUME=1 ;;
    --duration) DURATION=$2; shift ;;
    --conns) CONNS=$2; shift ;;
    --out) OUT=$2; shift ;;
    *) sed -n '2,11p' "$0"; exit 2 ;;
  esac
  shift
done
command -v valgrind >/dev/null || { apt-get install -y -qq valgrind >&2 || exit 1; }
SIDECAR=${MTLS_SIDECAR:-$HERE/../../build-bench/proxy/mtls-sidecar}
[ -x "$SIDECAR" ] || SIDECAR=$HERE/../../build/proxy/mtls-sidecar
OUT=${OUT:-$HERE/results/profile-$SYSTEM-$MODE$([ "$RESUME" = 1 ] && echo -resume)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
W=$(mktemp -d /tmp/mtls-profile.XXXXXX)
BL_RESUME=$RESUME
source "$HERE/bench_lib.sh"
LOAD=$(bl_mtls_load) || exit 1
bl_init "$W"
trap 'bl_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT

# Every proxy binary runs under callgrind: a shim directory on PATH for the peers, and
# MTLS_SIDECAR for ours (candidate.sh execs it, so the PID stays the profiled process).
VG=(valgrind --tool=callgrind --dump-instr=no --collect-atstart=yes)
mkdir -p "$W/shim"
for b in haproxy nginx stunnel4 stunnel; do
  real=$(command -v $b) || continue
  printf '#!/bin/sh\nexec %s --callgrind-out-file=%s/cg.%%p %s "$@"\n' "${VG[*]}" "$W" "$real" >"$W/shim/$b"
  chmod +x "$W/shim/$b"
done
# PROFILE_ENV: extra environment for our sidecar only (experiments, e.g. an LD_PRELOAD library).
printf '#!/bin/sh\nexec env %s %s --callgrind-out-file=%s/cg.%%p %s "$@"\n' "${PROFILE_ENV:-}" "${VG[*]}" "$W" "$SIDECAR" >"$W/shim/mtls-sidecar"
chmod +x "$W/shim/mtls-sidecar"

bl_pki && bl_backend || { echo "setup failed" >&2; exit 1; }
export MTLS_SIDECAR=$W/shim/mtls-sidecar
PATH=$W/shim:$PATH bl_pair "$SYSTEM" || { echo "pair failed" >&2; exit 1; }
bl_log "$SYSTEM under callgrind: out pid $BL_OUT_PID, in pid $BL_IN_PID"

"$LOAD" --target "127.0.0.1:$BL_OUT_PORT" --plain --mode "$MODE" --conns "$CONNS" --duration 5s --timeout 20s >/dev/null
callgrind_control --zero "$BL_OUT_PID" >/dev/null && callgrind_control --zero "$BL_IN_PID" >/dev/null
"$LOAD" --target "127.0.0.1:$BL_OUT_PORT" --plain --mode "$MODE" --conns "$CONNS" --duration "${DURATION}s" \
  --timeout 20s --json "$OUT/load.json" >"$OUT/load.txt"
callgrind_control --dump=measured "$BL_OUT_PID" >/dev/null; callgrind_control --dump=measured "$BL_IN_PID" >/dev/null
sleep 1
pick() { ls -t "$W"/cg."$1".* 2>/dev/null | while read -r f; do grep -q '^desc: Trigger: .*measured' "$f" && { echo "$f"; break; }; done; }
cp "$(pick "$BL_OUT_PID")" "$OUT/out.callgrind" && cp "$(pick "$BL_IN_PID")" "$OUT/in.callgrind" \
  || { echo "no callgrind dump found" >&2; exit 1; }
# Units: handshake mode per connection; keepalive per request, without the connections' own
# handshakes (SSL_do_handshake's inclusive cost is taken out); bulk per byte received.
unit=exchange key=requests
[ "$MODE" = bulk ] && unit=byte key=bytes_in
n=$(python3 -c "import json; d=json.load(open('$OUT/load.json')); print(d['$key'])")
[ "${n:-0}" -gt 0 ] || { echo "nothing measured: $(grep errors "$OUT/load.txt")" >&2; exit 1; }
{
  echo "# $SYSTEM $MODE resume=$RESUME: $n ${unit}s through the pair in ${DURATION}s under callgrind"
  for side in out in; do
    f=$OUT/$side.callgrind
    ir=$(grep -m1 '^summary:' "$f" | awk '{print $2}')
    hs=$(callgrind_annotate --inclusive=yes --threshold=100 "$f" 2>/dev/null | grep -m1 '???:SSL_do_handshake ' | awk '{gsub(",", "", $1); print $1}')
    awk -v s="$side" -v a="$ir" -v h="${hs:-0}" -v n="$n" -v u="$unit" 'BEGIN {
      printf "%s: Ir total %.0f, per %s %.1f, per %s without handshakes %.1f\n", s, a, u, a / n, u, (a - h) / n }'
  done
  for side in out in; do
    echo; echo "## $side: top functions, inclusive"
    callgrind_annotate --inclusive=yes --threshold=100 "$OUT/$side.callgrind" 2>/dev/null | grep -E '^ *[0-9,]+ ' | head -60
  done
} >"$OUT/summary.txt"
bl_relative_paths "$OUT"/*.txt
head -3 "$OUT/summary.txt"
echo "full summary: $OUT/summary.txt"
