#!/usr/bin/env bash
# syscalls.sh - system calls per exchange of each proxy of a pair (strace -c on both while
# mtls-load --plain drives the chain). Counts, unlike CPU seconds, do not move with machine load.
# Usage: syscalls.sh [--mode handshake|keepalive|bulk] [--duration 4] VARIANT...
#   VARIANT: haproxy | nginx-stream | stunnel | plain-pair (no TLS: the floor) | NAME=PATH (an mtls-sidecar binary or wrapper)
# Prints, per variant and side, the 12 most frequent calls per exchange (per 4 MiB response in bulk).
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
MODE=keepalive DURATION=4 VARIANTS=()
while [ $# -gt 0 ]; do
  case $1 in
    --mode) MODE=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    -*) sed -n '2,6p' "$0"; exit 2 ;;
    *) VARIANTS+=("$1") ;;
  esac
  shift
done
[ ${#VARIANTS[@]} -ge 1 ] || { sed -n '2,6p' "$0"; exit 2; }
command -v strace >/dev/null || apt-get install -y -qq strace >/dev/null || exit 1
W=$(mktemp -d /tmp/mtls-syscalls.XXXXXX)
source "$HERE/bench_lib.sh"
LOAD=$(bl_mtls_load) || exit 1
bl_init "$W"
STRACES=()
trap 'for p in "${STRACES[@]}"; do kill -INT "$p" 2>/dev/null; done; bl_cleanup; rm -rf "$W"' EXIT
bl_pki && bl_backend || { echo "setup failed" >&2; exit 1; }
conns=16; [ "$MODE" = bulk ] && conns=4
for v in "${VARIANTS[@]}"; do
  name=${v%%=*} sys=$v
  if [[ "$v" == *=* ]]; then export MTLS_SIDECAR=${v#*=}; sys=mtls-sidecar; fi
  bl_pair "$sys" || { echo "$name: pair failed" >&2; continue; }
  "$LOAD" --target "127.0.0.1:$BL_OUT_PORT" --plain --mode "$MODE" --conns $conns --duration 1s >/dev/null 2>&1
  strace -c -f -o "$W/$name-out.txt" -p "$BL_OUT_PID" 2>/dev/null & STRACES=($!)
  strace -c -f -o "$W/$name-in.txt" -p "$BL_IN_PID" 2>/dev/null & STRACES+=($!)
  sleep 1
  "$LOAD" --target "127.0.0.1:$BL_OUT_PORT" --plain --mode "$MODE" --conns $conns --duration "${DURATION}s" \
    --json "$W/load.json" >/dev/null 2>&1
  kill -INT "${STRACES[@]}" 2>/dev/null; wait "${STRACES[@]}" 2>/dev/null; STRACES=()
  # bulk: per 4 MiB response (bytes received / 4 MiB), else per request
  n=$(python3 -c "import json; d = json.load(open('$W/load.json')); print(d['bytes_in'] / 4194304 if '$MODE' == 'bulk' else d['requests'])")
  for side in out in; do
    echo "== $name $side ($MODE): syscalls per $([ "$MODE" = bulk ] && echo '4 MiB' || echo exchange), $n measured"
    awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { printf "   %-16s %8.2f\n", $NF, $4 / n; t += $4 }
      END { printf "   %-16s %8.2f\n", "TOTAL", t / n }' "$W/$name-$side.txt" | sort -k2 -nr | head -13
  done
  bl_stop "$BL_OUT_PID" "$BL_IN_PID"
done
