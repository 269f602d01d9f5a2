#!/usr/bin/env bash
# http_peers.sh - HTTP-mode sidecar pairs side by side, interleaved rounds, medians and range:
#   mtls-http     mtls-sidecar `protocol: http` (outbound pools upstream mTLS, inbound sets XFCC)
#   haproxy-http  HAProxy `mode http`, `http-reuse always`, ssl on both sides
#   nginx-http    nginx http `proxy_pass https://` with an upstream `keepalive` pool
#   mtls-tcp      mtls-sidecar `protocol: tcp`: the reference that pays a handshake per connection
# wrk -> outbound -> inbound -> nginx backend (/small, 64 B), 127.0.0.1, one worker per proxy,
# ECDSA P-256, TLS 1.3, resumption off (configs: bench_lib.sh). Per round every system takes its
# turn under two loads: keepalive (wrk -c CONNS) and close (the same with -H 'Connection: close',
# one client connection per request). Reports CPU µs of both proxies per request (utime+stime),
# requests/s and wrk's p99 (at full speed), each as the median and range over the rounds; with
# mtls-load built, also the p99 at half that round's rate (mtls-load --plain --rate, paced).
# Usage: http_peers.sh [--rounds 3] [--duration 4] [--conns 16] [--only SYS,SYS...]
#   Binaries: $MTLS_SIDECAR and $MTLS_LOAD, else ../../build-bench's, else ../../build's. Needs wrk,
#   haproxy, nginx, curl. A benchmark, not a test: CI does not run it. Runs ~4*SYS*ROUNDS*DURATION s.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=3 DURATION=4 CONNS=16 SYSTEMS=(mtls-http haproxy-http nginx-http mtls-tcp)
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=${2:?}; shift ;;
    --duration) DURATION=${2:?}; shift ;;
    --conns) CONNS=${2:?}; shift ;;
    --only) IFS=, read -r -a SYSTEMS <<<"${2:?}"; shift ;;
    *) usage ;;
  esac
  shift
done
[[ "$ROUNDS" =~ ^[1-9][0-9]?$ && "$DURATION" =~ ^[1-9][0-9]?$ && "$CONNS" =~ ^[1-9][0-9]{0,3}$ ]] || usage
for t in wrk haproxy nginx curl; do command -v $t >/dev/null || { echo "http_peers.sh: $t missing" >&2; exit 77; }; done
pick() { local b; for b in "$@"; do [ -x "$b" ] && { echo "$b"; return; }; done; }
export MTLS_SIDECAR=${MTLS_SIDECAR:-$(pick "$HERE/../../build-bench/proxy/mtls-sidecar" "$HERE/../../build/proxy/mtls-sidecar")}
[ -n "$MTLS_SIDECAR" ] || { echo "http_peers.sh: no mtls-sidecar binary (set MTLS_SIDECAR)" >&2; exit 1; }

source "$HERE/bench_lib.sh"
LOAD=$(bl_mtls_load 2>/dev/null) || { LOAD=""; bl_log "mtls-load not built: no p99 at half rate"; }
W=$(mktemp -d /tmp/mtls-http-peers.XXXXXX)
bl_init "$W"
trap 'bl_cleanup; rm -rf "$W"' EXIT
bl_pki && bl_backend || { bl_log "setup failed"; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null

declare -A OUT IN PORT INPORT
for s in "${SYSTEMS[@]}"; do
  case $s in
    mtls-http) sys=mtls-sidecar-http ;; mtls-tcp) sys=mtls-sidecar ;; haproxy-http|nginx-http) sys=$s ;;
    *) echo "unknown system $s" >&2; usage ;;
  esac
  bl_pair "$sys" || { echo "$s: pair failed" >&2; exit 1; }
  OUT[$s]=$BL_OUT_PID IN[$s]=$BL_IN_PID PORT[$s]=$BL_OUT_PORT INPORT[$s]=$BL_IN_PORT
  # Not timed unless a request through the chain gets the backend's 64-byte body and, in HTTP
  # mode, the inbound replaced a client's x-forwarded-client-cert with its own.
  body=$(curl -sS --max-time 5 "http://127.0.0.1:$BL_OUT_PORT/small") && [ ${#body} = 63 ] ||
    { echo "$s: GET through the pair failed" >&2; exit 1; }
  if [ "$s" != mtls-tcp ]; then
    xfcc=$(curl -sS --max-time 5 -H 'x-forwarded-client-cert: spoofed' "http://127.0.0.1:$BL_OUT_PORT/xfcc")
    [[ "$xfcc" == *Hash=* && "$xfcc" != *spoofed* ]] || { echo "$s: no XFCC of its own: '$xfcc'" >&2; exit 1; }
    bl_log "$s sets x-forwarded-client-cert: $xfcc"
  fi
done

# wrk prints one parseable line at the end (its --latency report has no machine-readable form).
cat >"$W/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("STAT %d %d %.1f\n", summary.requests,
    e.connect + e.read + e.write + e.timeout + e.status, latency:percentile(99.0)))
end
EOF
hz=$(getconf CLK_TCK)
bl_log "work dir $W; $ROUNDS rounds x ${DURATION}s, $CONNS connections; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  for load in keepalive close; do
    hdr=(); [ "$load" = close ] && hdr=(-H 'Connection: close')
    for s in "${SYSTEMS[@]}"; do
      t0=$(($(bl_cpu_ticks "${OUT[$s]}") + $(bl_cpu_ticks "${IN[$s]}")))
      st=$(timeout $((DURATION + 20)) wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$W/report.lua" "${hdr[@]}" \
        "http://127.0.0.1:${PORT[$s]}/small" 2>&1 | awk '$1 == "STAT" { print $2, $3, $4 }')
      t1=$(($(bl_cpu_ticks "${OUT[$s]}") + $(bl_cpu_ticks "${IN[$s]}")))
      # mTLS connections the outbound holds to the inbound once the load stopped: the pool.
      pooled=$(ss -Htn state established "( dport = :${INPORT[$s]} )" 2>/dev/null | wc -l)
      read -r n errs p99 <<<"${st:-0 0 0}"
      half=-1
      if [ -n "$LOAD" ] && [ "$n" -gt 0 ]; then  # the same exchange, paced at half this run's rate
        if [ "$load" = close ]; then lm=(--mode handshake --request 'GET /small HTTP/1.1\r\nHost: backend.local\r\nConnection: close\r\n\r\n') key=connection_latency_us
        else lm=(--mode keepalive) key=request_latency_us; fi
        timeout $((DURATION + 20)) "$LOAD" --target "127.0.0.1:${PORT[$s]}" --plain "${lm[@]}" --conns "$CONNS" \
          --rate $((n / DURATION / 2)) --duration "${DURATION}s" --json "$W/half.json" >/dev/null 2>&1 &&
          half=$(python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print(d['$key']['p99'] if sum(d['errors'].values()) == 0 else -1)" "$W/half.json" 2>/dev/null || echo -1)
      fi
      awk -v r="$r" -v l="$load" -v s="$s" -v n="$n" -v e="$errs" -v p="$p99" -v t=$((t1 - t0)) -v hz="$hz" \
        -v d="$DURATION" -v pool="$pooled" -v h="$half" -v la="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
          if (n > 0) printf "round %d %-9s %-12s cpu_us/req %7.1f req/s %7.0f p99_ms %6.2f errors %d pooled %d half_p99_ms %6.2f load %s\n",
            r, l, s, t * 1e6 / hz / n, n / d, p / 1000, e, pool, h < 0 ? -1 : h / 1000, la
          else printf "round %d %-9s %-12s nothing measured\n", r, l, s }' | tee -a "$W/rounds"
    done
  done
done

echo
echo "medians over $ROUNDS rounds (range in brackets), $CONNS wrk connections, ${DURATION}s each; CPU = both proxies:"
echo
echo "| system | load | CPU µs/request | requests/s | wrk p99 ms | p99 ms @ half rate | errors | upstream conns after |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for load in keepalive close; do
  for s in "${SYSTEMS[@]}"; do
    awk -v l="$load" -v s="$s" '$3 == l && $4 == s && $5 == "cpu_us/req" { c[++n] = $6; q[n] = $8; p[n] = $10; e += $12; pool = $14; if ($16 >= 0) h[++m] = $16 }
      function sort(a, n,   i, j, x) { for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x } }
      function med(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
      function cell(a, n, f) { sort(a, n); return sprintf(f " (" f "–" f ")", med(a, n), a[1], a[n]) }
      END { if (n) printf "| %s | %s | %s | %s | %s | %s | %d | %d |\n", s, l, cell(c, n, "%.1f"), cell(q, n, "%.0f"),
              cell(p, n, "%.2f"), m ? cell(h, m, "%.2f") : "-", e, pool
            else printf "| %s | %s | - | - | - | - | - | - |\n", s, l }' "$W/rounds"
  done
done
echo
# The issue's ratios, from the medians above (only between systems of this run).
awk '$5 == "cpu_us/req" { v[$3 "|" $4] = v[$3 "|" $4] " " $6 }
  function med(str,   a, n, i, j, x) { n = split(str, a, " "); for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  function ratio(what, a, b) { if ((a in v) && (b in v)) printf "%s: %.2fx\n", what, med(v[a]) / med(v[b]) }
  END { ratio("keepalive, mtls-http / haproxy-http", "keepalive|mtls-http", "keepalive|haproxy-http")
        ratio("keepalive, mtls-http / nginx-http", "keepalive|mtls-http", "keepalive|nginx-http")
        ratio("close, mtls-http / mtls-tcp", "close|mtls-http", "close|mtls-tcp")
        ratio("close, mtls-http / haproxy-http", "close|mtls-http", "close|haproxy-http")
        ratio("close, mtls-http / nginx-http", "close|mtls-http", "close|nginx-http") }' "$W/rounds"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
