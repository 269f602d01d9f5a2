#!/usr/bin/env bash
# latency.sh - the mtls-load half of the benchmark: handshake rate, handshake latency percentiles
# at half of the maximum rate, resumption rate, idle RSS, for each system's proxy pair (wrk, which
# peers.sh uses, cannot present a client certificate, so these come from our own generator).
# Usage: latency.sh [--duration 5] [--systems "mtls-sidecar haproxy nginx-stream stunnel"] [--json FILE]
# Per system, on a fresh pair configured like peers.sh's (tests/bench/bench_lib.sh):
#   idle RSS of both proxies before any connection;
#   direct: mtls-load (client certificate) -> INBOUND, --mode handshake: max rate, then --rate max/2
#     -> handshake latency p50/p99/p99.9 and the inbound's CPU per handshake;
#   chain: mtls-load --plain -> OUTBOUND -> INBOUND -> backend, a connection per request: max, then
#     half -> what an application sees (connect + the pair's mTLS handshake + request);
#   resume: a second pair with session resumption on, mtls-load --resume -> INBOUND: resumption rate.
# Everything is bounded by --duration and killed by PID at the end.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DURATION=5 SYSTEMS="mtls-sidecar haproxy nginx-stream stunnel" JSON=$HERE/results/latency.json CONNS=16
while [ $# -gt 0 ]; do
  case $1 in
    --duration) DURATION=$2; shift ;;
    --systems) SYSTEMS=$2; shift ;;
    --json) JSON=$2; shift ;;
    --conns) CONNS=$2; shift ;;
    *) sed -n '2,14p' "$0"; exit 2 ;;
  esac
  shift
done
mkdir -p "$(dirname "$JSON")"
source "$HERE/bench_lib.sh"
bl_setup latency
P=$W/pki
TLS_ARGS=(--cert "$P/client.crt" --key "$P/client.key" --ca "$P/ca.crt" --sni backend.local)
CLK_TCK=$(getconf CLK_TCK)

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d$2)" "$1" 2>/dev/null; }

# load NAME mtls-load-args... -> $W/NAME.json, and the CPU seconds of out and in in $W/NAME.cpu
load() {
  local name=$1 o0 i0 o1 i1; shift
  o0=$(bl_cpu_ticks "$BL_OUT_PID") i0=$(bl_cpu_ticks "$BL_IN_PID")
  "$LOAD" --duration "${DURATION}s" --conns "$CONNS" --label "$name" --json "$W/$name.json" "$@" >"$W/$name.txt" 2>&1
  o1=$(bl_cpu_ticks "$BL_OUT_PID") i1=$(bl_cpu_ticks "$BL_IN_PID")
  awk -v hz="$CLK_TCK" "BEGIN { printf \"%.3f %.3f\", ($o1 - $o0) / hz, ($i1 - $i0) / hz }" >"$W/$name.cpu"
  bl_log "$name: $(sed -n 2p "$W/$name.txt" | tr -s ' ')"
}

for sys in $SYSTEMS; do
  BL_RESUME=0
  bl_pair "$sys" || { bl_log "$sys: pair failed to start"; continue; }
  sleep 0.5
  echo "$(rss_kb "$BL_OUT_PID") $(rss_kb "$BL_IN_PID")" >"$W/$sys.idle_rss"
  "$LOAD" --target "127.0.0.1:$BL_IN_PORT" "${TLS_ARGS[@]}" --mode handshake --duration 1s >/dev/null 2>&1  # warm-up
  load "$sys.direct_max" --target "127.0.0.1:$BL_IN_PORT" "${TLS_ARGS[@]}" --mode handshake
  max=$(jget "$W/$sys.direct_max.json" "['handshakes_per_s']")
  load "$sys.direct_half" --target "127.0.0.1:$BL_IN_PORT" "${TLS_ARGS[@]}" --mode handshake \
    --rate "$(awk -v m="${max:-0}" 'BEGIN { printf "%.0f", m / 2 }')"
  load "$sys.chain_max" --target "127.0.0.1:$BL_OUT_PORT" --plain --mode handshake
  max=$(jget "$W/$sys.chain_max.json" "['requests_per_s']")
  load "$sys.chain_half" --target "127.0.0.1:$BL_OUT_PORT" --plain --mode handshake \
    --rate "$(awk -v m="${max:-0}" 'BEGIN { printf "%.0f", m / 2 }')"
  bl_stop "$BL_OUT_PID" "$BL_IN_PID"

  BL_RESUME=1
  bl_pair "$sys" || { bl_log "$sys: resume pair failed to start"; continue; }
  load "$sys.direct_resume" --target "127.0.0.1:$BL_IN_PORT" "${TLS_ARGS[@]}" --mode handshake --resume
  bl_stop "$BL_OUT_PID" "$BL_IN_PID"
done

# One JSON: per system, each run's mtls-load report plus the CPU seconds of both proxies.
python3 - "$W" "$JSON" "$DURATION" "$CONNS" $SYSTEMS <<'EOF'
import json, os, platform, subprocess, sys, time
w, out, duration, conns, systems = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
doc = {"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "duration_s": float(duration),
       "conns": int(conns), "cores": os.cpu_count(), "kernel": platform.release(),
       "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), ""),
       "systems": {}}
for s in systems:
    entry = {}
    try:
        o, i = open(f"{w}/{s}.idle_rss").read().split()
        entry["idle_rss_kb"] = {"out": int(o), "in": int(i)}
    except OSError:
        pass
    for run in ("direct_max", "direct_half", "chain_max", "chain_half", "direct_resume"):
        try:
            r = json.load(open(f"{w}/{s}.{run}.json"))
            o, i = open(f"{w}/{s}.{run}.cpu").read().split()
            r["proxy_cpu_s"] = {"out": float(o), "in": float(i)}
            entry[run] = r
        except (OSError, ValueError):
            pass
    doc["systems"][s] = entry
json.dump(doc, open(out, "w"), indent=1)
print(f"# latency results written to {out}", file=sys.stderr)
EOF
