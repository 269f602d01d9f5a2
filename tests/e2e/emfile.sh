#!/usr/bin/env bash
# emfile.sh PATH/TO/mtls-sidecar - descriptor exhaustion. An inbound sidecar runs
# with `ulimit -n 64`; 300 connections that never handshake (handshake_timeout 60s) use up its
# descriptors and fill the accept backlog. While it is saturated: the accept loop backs off
# instead of spinning (CPU% from /proc/PID/stat over 3 s, accept attempts from the log), also with
# a connection waiting on the admin port. Once the connections go away it serves again.
# Prints SCORE lines; loopback only; everything started is killed by PID at exit. ~20 s.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: emfile.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
TOOL=$HERE/reliability_tool.py
source "$HERE/lib.sh"
before_stop() { exec 7>&- 2>/dev/null || true; }  # the connections held open on fd 7
e2e_init
fail() { echo "FAIL: $*"; tail -n 5 "$W/in.log"; exit 1; }   # only the sidecar's log (replaces lib.sh's)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime; comm has no spaces
HZ=$(getconf CLK_TCK)
read -r BE_H BE_E IN AIN < <(free_ports 4)
cd "$W"

"$BIN" ca init --dir ca --trust-domain test.local >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://test.local/ns/default/sa/backend --dns backend.local --out backend >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://test.local/ns/default/sa/frontend --out frontend >/dev/null
cat >in.yaml <<Y
admin: { listen: 127.0.0.1:$AIN }
workers: 1
identity: { source: file, file: { cert: backend/tls.crt, key: backend/tls.key } }
trust: { ca_bundle: ca/ca.crt }
inbound:
  - { name: in, listen: 127.0.0.1:$IN, forward: 127.0.0.1:$BE_E, allow: { spiffe_ids: ["spiffe://test.local/ns/default/sa/frontend"] } }
limits: { handshake_timeout: 60s }
Y
good() { python3 "$TOOL" tls-echo "$IN" frontend/tls.crt frontend/tls.key ca/ca.crt backend.local; }

python3 "$TOOL" backend "$BE_H" "$BE_E" >backend.log 2>&1 & PIDS+=($!)
(ulimit -n 64; exec "$BIN" run --config in.yaml) >in.log 2>&1 & SC=$!; PIDS+=($SC)
up "$BE_E" && up "$IN" && up "$AIN" || fail "processes did not start"
BASE_FDS=$(nfds "$SC")
good >/dev/null || fail "a good client before the flood"
echo "ok   sidecar up with ulimit -n 64 ($BASE_FDS descriptors open), good client served"

mkfifo hold.in
python3 "$TOOL" hold "$IN" 300 --seconds 60 <hold.in >hold.out 2>&1 & PIDS+=($!)
exec 7>hold.in
for _ in $(seq 200); do grep -q '^held' hold.out && break; sleep 0.05; done
grep -q '^held 300' hold.out || fail "could not open 300 connections: $(cat hold.out)"
for _ in $(seq 100); do grep -q 'backing off' in.log && break; sleep 0.05; done
grep -q 'backing off' in.log || fail "the sidecar never reported EMFILE"
SAT_FDS=$(nfds "$SC")
echo "ok   saturated: $SAT_FDS descriptors open (limit 64), 300 connections held"

# CPU and accept attempts while saturated, over 3 s.
L0=$(grep -c 'backing off' in.log); T0=$(ticks "$SC"); sleep 3; T1=$(ticks "$SC"); L1=$(grep -c 'backing off' in.log)
CPU=$(awk -v d=$((T1 - T0)) -v hz="$HZ" 'BEGIN { printf "%.1f", 100 * d / hz / 3 }')
RATE=$(awk -v d=$((L1 - L0)) 'BEGIN { printf "%.1f", d / 3 }')
echo "     data-path accept loop while saturated: CPU ${CPU}% , ${RATE} accept attempts/s"
score emfile_saturated_cpu_percent "$CPU" "$(awk -v c="$CPU" 'BEGIN { print (c < 10) ? "pass" : "fail" }')" \
  "CPU < 10% over 3 s with ulimit -n 64 and 300 pending connections (${RATE} accept attempts/s)"

# The same with a connection waiting on the admin port (a scrape or a probe during the outage).
curl -s --max-time 6 "http://127.0.0.1:$AIN/healthz" >/dev/null 2>&1 & CURL=$!; PIDS+=($CURL)
sleep 0.5
A0=$(wc -l <in.log); T0=$(ticks "$SC"); sleep 3; T1=$(ticks "$SC"); A1=$(wc -l <in.log)
kill "$CURL" 2>/dev/null || true
ACPU=$(awk -v d=$((T1 - T0)) -v hz="$HZ" 'BEGIN { printf "%.1f", 100 * d / hz / 3 }')
LINES=$(awk -v d=$((A1 - A0)) 'BEGIN { printf "%.0f", d / 3 }')
echo "     with an admin connection pending: CPU ${ACPU}% , ${LINES} log lines/s"
score emfile_admin_pending_cpu_percent "$ACPU" "$(awk -v c="$ACPU" 'BEGIN { print (c < 10) ? "pass" : "fail" }')" \
  "CPU < 10% over 3 s while saturated with a connection pending on the admin port (${LINES} log lines/s)"

# Release: the held connections close, their sessions end, descriptors come back, serving resumes.
exec 7>&-
RECOVERED=fail
for _ in $(seq 200); do
  [ "$(nfds "$SC")" -le $((BASE_FDS + 4)) ] && { RECOVERED=pass; break; }
  sleep 0.05
done
AFTER_FDS=$(nfds "$SC")
GOOD_MS=$(good) || RECOVERED=fail
echo "     after release: $AFTER_FDS descriptors open, good client ${GOOD_MS:-failed}"
REFUSED=$(curl -sf --max-time 5 "http://127.0.0.1:$AIN/metrics" | awk '/^mtls_connections_refused_total\{.*reason="accept_error"/ { s += $NF } END { print s + 0 }')
score emfile_recovered_fds "$AFTER_FDS" "$RECOVERED" "descriptors back to baseline ${BASE_FDS} (+4) and a good client served after release"
score emfile_accept_errors_counted "$REFUSED" "$([ "${REFUSED%.*}" -gt 0 ] && echo pass || echo fail)" \
  "mtls_connections_refused_total{reason=accept_error} > 0"
[ "$FAILED" = 0 ] || { echo "FAIL: see the SCORE lines above"; exit 1; }
echo "ok   EMFILE: backs off, counts, recovers"
