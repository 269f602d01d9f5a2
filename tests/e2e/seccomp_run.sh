#!/usr/bin/env bash
# seccomp_run.sh PATH/TO/mtls-sidecar - `run` under its system call allow-list, which is on by
# default: a pair of sidecars (inbound: file identity; outbound: local_ca identity) where every
# thread of both reports Seccomp 2 with one filter more than this shell; mTLS handshakes both ways
# in TCP and in HTTP mode, with a `forward` host name looked up again while running; a rotated
# certificate reloads on SIGHUP (and the outbound's local_ca issues a fresh leaf); the admin
# endpoints answer; SIGTERM drains and exits 0; and no call was denied in all of it (no "seccomp:
# denied" line, mtls_seccomp_denied_total 0). Then `sandbox: { seccomp: false }` adds no filter.
# Skips (77) on a kernel without seccomp filters. Loopback only. ~10 s.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: seccomp_run.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
TOOL=$HERE/reliability_tool.py
source "$HERE/lib.sh"
grep -q '^Seccomp:' /proc/self/status || { echo "SKIP: the kernel has no seccomp"; exit 77; }
e2e_init
read -r BE_H BE_X BE_E IN_H IN_E OUT_H OUT_E AIN AOUT < <(free_ports 9)
cd "$W"
STARTED=$(date +%s)

"$BIN" ca init --dir ca --trust-domain test.local >/dev/null
issue_inbound() {  # issue_inbound N: a fresh inbound leaf in id/..vN, swapped in with one rename
  "$BIN" ca issue --dir ca --spiffe-id spiffe://test.local/ns/default/sa/backend --dns backend.local \
    --out "id/..v$1" >/dev/null
  ln -sfn "..v$1" id/..data_tmp && mv -T id/..data_tmp id/..data
}
mkdir id && issue_inbound 0
ln -s ..data/tls.crt id/tls.crt && ln -s ..data/tls.key id/tls.key
"$BIN" ca issue --dir ca --spiffe-id spiffe://test.local/ns/default/sa/frontend --out client >/dev/null
mkdir www && echo probe-ok >www/probe
ALLOW='allow: { spiffe_ids: ["spiffe://test.local/ns/default/sa/frontend"] }'
EXPECT='server_name: backend.local, expect: { spiffe_ids: ["spiffe://test.local/ns/default/sa/backend"] }'
cat >in.yaml <<Y
admin: { listen: 127.0.0.1:$AIN }
workers: 2
identity: { source: file, file: { cert: id/tls.crt, key: id/tls.key } }
trust: { ca_bundle: ca/ca.crt }
limits: { drain_delay: 0s }
inbound:
  - { name: h, listen: 127.0.0.1:$IN_H, forward: "localhost:$BE_H", protocol: http, $ALLOW }
  - { name: e, listen: 127.0.0.1:$IN_E, forward: 127.0.0.1:$BE_E, $ALLOW }
Y
cat >out.yaml <<Y
admin: { listen: 127.0.0.1:$AOUT }
workers: 2
identity: { source: local_ca, local_ca: { dir: ca, spiffe_id: "spiffe://test.local/ns/default/sa/frontend", ttl: 1h } }
limits: { drain_delay: 0s }
outbound:
  - { name: h, listen: 127.0.0.1:$OUT_H, forward: 127.0.0.1:$IN_H, protocol: http, $EXPECT }
  - { name: e, listen: 127.0.0.1:$OUT_E, forward: 127.0.0.1:$IN_E, $EXPECT }
Y

python3 -m http.server --bind 127.0.0.1 --directory www "$BE_H" >http.log 2>&1 & PIDS+=($!)
python3 "$TOOL" backend "$BE_X" "$BE_E" >backend.log 2>&1 & PIDS+=($!)
"$BIN" run --config in.yaml >in.log 2>&1 & IN_PID=$!; PIDS+=($IN_PID)
"$BIN" run --config out.yaml >out.log 2>&1 & OUT_PID=$!; PIDS+=($OUT_PID)
up "$BE_H" && up "$BE_E" && up "$IN_H" && up "$OUT_H" && up "$OUT_E" && up "$AIN" && up "$AOUT" ||
  fail "processes did not start"
for log in in.log out.log; do
  for _ in $(seq 100); do grep -q 'seccomp: ' "$log" && break; sleep 0.05; done
done
if grep -q 'seccomp: not available' in.log; then echo "SKIP: $(grep -o 'seccomp: not available.*' in.log)"; exit 77; fi

metric() { curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v m="$2" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'; }
# filters PID: "Seccomp Seccomp_filters" of every thread of PID, one line per distinct pair.
filters() { for s in /proc/"$1"/task/*/status; do awk '/^Seccomp:/ { m = $2 } /^Seccomp_filters:/ { f = $2 } END { print m, f + 0 }' "$s"; done | sort -u; }
BASE=$(awk '/^Seccomp_filters:/ { f = $2 } END { print f + 0 }' /proc/self/status)
echo_through() {  # echo_through PORT: a line through plain TCP and back
  python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5); s.sendall(b"ping\n"); s.shutdown(socket.SHUT_WR)
got = b""
while len(got) < 5:
    b = s.recv(64)
    if not b: break
    got += b
sys.exit(got != b"ping\n")' "$1"
}
serial() { echo | timeout 5 openssl s_client -connect "127.0.0.1:$IN_E" -cert client/tls.crt -key client/tls.key \
  -CAfile ca/ca.crt 2>/dev/null | openssl x509 -noout -serial 2>/dev/null; }

for p in "$IN_PID" "$OUT_PID"; do
  F=$(filters "$p")
  [ "$F" = "2 $((BASE + 1))" ] || fail "pid $p threads (Seccomp, Seccomp_filters): $(echo "$F" | tr '\n' ';') want 2 $((BASE + 1)) on every thread"
  [ "$(ls /proc/"$p"/task | wc -l)" -ge 4 ] || fail "pid $p: fewer threads than workers + control + loader"
done
echo "ok   every thread of both sidecars runs under the filter (Seccomp 2, one filter more than the shell)"
grep -q 'seccomp: [0-9]* system calls allowed on every thread' in.log || fail "no seccomp line in the log"

curl -sf --max-time 5 "http://127.0.0.1:$OUT_H/probe" | grep -qx probe-ok || fail "HTTP through outbound -> inbound"
echo_through "$OUT_E" || fail "TCP through outbound -> inbound"
python3 "$TOOL" tls-echo "$IN_E" client/tls.crt client/tls.key ca/ca.crt backend.local >/dev/null ||
  fail "an mTLS client straight to the inbound"
echo "ok   handshakes out and in, HTTP and TCP"

BEFORE_IN=$(metric "$AIN" 'mtls_certificate_reloads_total{result="success"')
BEFORE_OUT=$(metric "$AOUT" 'mtls_certificate_reloads_total{result="success"')
issue_inbound 1
NEW=$(openssl x509 -in id/tls.crt -noout -serial)
kill -HUP "$IN_PID" "$OUT_PID"
for _ in $(seq 100); do
  [ "$(metric "$AIN" 'mtls_certificate_reloads_total{result="success"')" -gt "$BEFORE_IN" ] &&
    [ "$(metric "$AOUT" 'mtls_certificate_reloads_total{result="success"')" -gt "$BEFORE_OUT" ] && break
  sleep 0.05
done
[ "$(serial)" = "$NEW" ] || fail "the rotated certificate does not serve after SIGHUP"
[ "$(metric "$AOUT" 'mtls_certificate_reloads_total{result="success"')" -gt "$BEFORE_OUT" ] ||
  fail "the outbound's local_ca did not renew on SIGHUP"
curl -sf --max-time 5 "http://127.0.0.1:$OUT_H/probe" | grep -qx probe-ok || fail "HTTP after the reload"
echo "ok   SIGHUP reloads a rotated certificate and renews the local_ca leaf"

for path in healthz ready status certs; do
  curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$AIN/$path" || fail "admin /$path"
done
curl -sf --max-time 5 "http://127.0.0.1:$AIN/metrics" >metrics.txt
grep -qx 'mtls_seccomp_denied_total 0' metrics.txt ||
  fail "mtls_seccomp_denied_total is not exported as 0: $(grep seccomp metrics.txt | tr '\n' ' ')"
echo "ok   admin endpoints"

# The inbound looks `forward: localhost` up again every 5 s (ForwardResolver::kRefresh): stay up
# past one such lookup, then use the route again, so a resolver call outside the list would show.
while [ $(($(date +%s) - STARTED)) -lt 7 ]; do sleep 0.2; done
curl -sf --max-time 5 "http://127.0.0.1:$OUT_H/probe" | grep -qx probe-ok || fail "HTTP after a re-lookup"

DENIED="$(metric "$AIN" mtls_seccomp_denied_total) $(metric "$AOUT" mtls_seccomp_denied_total)"
kill -TERM "$IN_PID" "$OUT_PID"
RC_IN=0; RC_OUT=0
wait "$IN_PID" || RC_IN=$?
wait "$OUT_PID" || RC_OUT=$?
[ "$RC_IN" = 0 ] && [ "$RC_OUT" = 0 ] || fail "SIGTERM: exit $RC_IN and $RC_OUT, want 0"
grep -q 'stopped' in.log && grep -q 'stopped' out.log || fail "no clean stop in the logs"
if grep -h 'seccomp: denied' in.log out.log; then fail "a call was denied (above)"; fi
[ "$DENIED" = "0 0" ] || fail "mtls_seccomp_denied_total: $DENIED"
echo "ok   SIGTERM drains and exits 0; no call denied"

# Off: no filter of its own (the shell's, if any, is inherited).
sed 's/^limits:/sandbox: { seccomp: false }\nlimits:/' in.yaml >off.yaml
"$BIN" run --config off.yaml >off.log 2>&1 & OFF_PID=$!; PIDS+=($OFF_PID)
up "$IN_E" && up "$AIN" || fail "sandbox.seccomp: false did not start"
for _ in $(seq 100); do grep -q 'seccomp: off' off.log && break; sleep 0.05; done
grep -q 'seccomp: off (sandbox.seccomp: false)' off.log || fail "no 'seccomp: off' line"
F=$(filters "$OFF_PID")
[ "$F" = "$(awk '/^Seccomp:/ { m = $2 } END { print m }' /proc/self/status) $BASE" ] ||
  fail "sandbox.seccomp: false: threads report $F"
echo "ok   sandbox.seccomp: false adds no filter"
