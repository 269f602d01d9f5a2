#!/usr/bin/env bash
# soak.sh PATH/TO/mtls-sidecar [SECONDS] - the soak: steady mixed traffic through a pair for SECONDS. CI runs the default 60 s;
# the 10-minute run is `tests/e2e/soak.sh build/proxy/mtls-sidecar 600`.
#
# An outbound and an inbound sidecar (separate processes, 2 workers each, two listener pairs:
# to a hashing backend and to an echo backend) carry mixed traffic from 6 client threads for
# SECONDS: uploads of 1 B..4 MiB answered with their SHA-256, and chatty echo sessions checked
# byte for byte. Meanwhile, every second: the inbound's certificate is rotated the way a
# Kubernetes Secret volume does it (new ..timestamp dir, ..data symlink renamed over) and both
# sidecars get SIGHUP (the outbound's local_ca issues a fresh leaf each time); every 2-6 s the
# backend process is killed with SIGKILL and restarted 0.2-0.6 s later. Checked: zero corrupted
# transfers (a transfer may be cut by a kill, never altered), none hung, both sidecars alive,
# reloads happened, descriptors back to their start, RSS flat after warm-up (first third).
# Prints SCORE lines; loopback only; everything started is killed by PID at exit.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: soak.sh PATH/TO/mtls-sidecar [SECONDS]}")
SECONDS_TOTAL=${2:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
TOOL=$HERE/reliability_tool.py
source "$HERE/lib.sh"
# The backend is restarted under the test, so its PID lives in a file, not in PIDS.
before_stop() { [ -f "$W/backend.pid" ] && kill -9 "$(cat "$W/backend.pid")" 2>/dev/null || true; }
e2e_init
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
metric() { curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v m="$2" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'; }
read -r BE_H BE_E IN_H IN_E OUT_H OUT_E AIN AOUT < <(free_ports 8)
cd "$W"

"$BIN" ca init --dir ca --trust-domain test.local >/dev/null
issue_inbound() {  # issue_inbound N: a fresh inbound leaf in id/..vN, swapped in atomically
  "$BIN" ca issue --dir ca --spiffe-id spiffe://test.local/ns/default/sa/backend --dns backend.local \
    --out "id/..v$1" >/dev/null
  ln -sfn "..v$1" id/..data_tmp && mv -T id/..data_tmp id/..data
}
mkdir id && issue_inbound 0
ln -s ..data/tls.crt id/tls.crt && ln -s ..data/tls.key id/tls.key
ALLOW='allow: { spiffe_ids: ["spiffe://test.local/ns/default/sa/frontend"] }'
EXPECT='server_name: backend.local, expect: { spiffe_ids: ["spiffe://test.local/ns/default/sa/backend"] }'
cat >in.yaml <<Y
admin: { listen: 127.0.0.1:$AIN }
workers: 2
identity: { source: file, file: { cert: id/tls.crt, key: id/tls.key } }
trust: { ca_bundle: ca/ca.crt }
inbound:
  - { name: h, listen: 127.0.0.1:$IN_H, forward: 127.0.0.1:$BE_H, $ALLOW }
  - { name: e, listen: 127.0.0.1:$IN_E, forward: 127.0.0.1:$BE_E, $ALLOW }
Y
cat >out.yaml <<Y
admin: { listen: 127.0.0.1:$AOUT }
workers: 2
identity: { source: local_ca, local_ca: { dir: ca, spiffe_id: "spiffe://test.local/ns/default/sa/frontend", ttl: 1h } }
outbound:
  - { name: h, listen: 127.0.0.1:$OUT_H, forward: 127.0.0.1:$IN_H, $EXPECT }
  - { name: e, listen: 127.0.0.1:$OUT_E, forward: 127.0.0.1:$IN_E, $EXPECT }
Y

start_backend() { python3 "$TOOL" backend "$BE_H" "$BE_E" >>backend.log 2>&1 & echo $! >backend.pid; }
(start_backend)  # in a subshell: not a job of this shell, so its SIGKILLs are not reported here
"$BIN" run --config in.yaml --log-level warn >in.log 2>&1 & IN_PID=$!; PIDS+=($IN_PID)
"$BIN" run --config out.yaml --log-level warn >out.log 2>&1 & OUT_PID=$!; PIDS+=($OUT_PID)
up "$BE_H" && up "$IN_H" && up "$OUT_H" && up "$OUT_E" || fail "processes did not start"
FDS0_IN=$(nfds "$IN_PID"); FDS0_OUT=$(nfds "$OUT_PID")
END=$(( $(date +%s) + SECONDS_TOTAL ))

# Rotation and SIGHUP every second.
( n=0; while [ "$(date +%s)" -lt "$END" ]; do
    n=$((n + 1)); issue_inbound "$n"; rm -rf "id/..v$((n - 1))"
    kill -HUP "$IN_PID" "$OUT_PID"; echo "$n" >rotations; sleep 1
  done ) >rotate.log 2>&1 & PIDS+=($!)
# Random backend kills.
( RANDOM=7; k=0; while [ "$(date +%s)" -lt "$END" ]; do
    sleep "$((2 + RANDOM % 5))"; [ "$(date +%s)" -lt "$END" ] || break
    kill -9 "$(cat backend.pid)" 2>/dev/null || true; k=$((k + 1)); echo "$k" >kills
    sleep "0.$((2 + RANDOM % 5))"; start_backend
  done ) >killer.log 2>&1 & PIDS+=($!)
# RSS and descriptors every second.
( while [ "$(date +%s)" -lt "$END" ]; do
    echo "$(date +%s) $(rss "$IN_PID") $(rss "$OUT_PID") $(nfds "$IN_PID") $(nfds "$OUT_PID")" >>rss.samples; sleep 1
  done ) & PIDS+=($!)

python3 "$TOOL" soak "$OUT_H" "$OUT_E" "$SECONDS_TOTAL" 6 >soak.json 2>soak.log || fail "traffic client failed"
sleep 1.2  # the loops see END and stop
kill -0 "$IN_PID" 2>/dev/null && kill -0 "$OUT_PID" 2>/dev/null || fail "a sidecar died during the soak"
up "$BE_H" || (start_backend)
for _ in $(seq 100); do
  [ "$(metric "$AIN" mtls_connections_active)" = 0 ] && [ "$(metric "$AOUT" mtls_connections_active)" = 0 ] && break
  sleep 0.1
done
FDS1_IN=$(nfds "$IN_PID"); FDS1_OUT=$(nfds "$OUT_PID")

count() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))' soak.json "$1"; }
OK=$(count ok); CORRUPT=$(count corrupted); HUNG=$(count hung); ABORTED=$(count aborted)
REFUSED=$(count connect_failed); STUCK=$(count stuck_workers); BYTES=$(count bytes)
KILLS=$(cat kills 2>/dev/null || echo 0); ROTATIONS=$(cat rotations 2>/dev/null || echo 0)
RELOAD_IN=$(metric "$AIN" 'mtls_certificate_reloads_total{result="success"')
RELOAD_OUT=$(metric "$AOUT" 'mtls_certificate_reloads_total{result="success"')
RELOAD_FAIL=$(( $(metric "$AIN" 'mtls_certificate_reloads_total{result="failure"') + $(metric "$AOUT" 'mtls_certificate_reloads_total{result="failure"') ))
echo "     $SECONDS_TOTAL s: $OK transfers ok ($((BYTES / 1048576)) MiB checked), $ABORTED cut or refused around $KILLS backend kills," \
     "$CORRUPT corrupted, $HUNG hung, $REFUSED connect failures; $ROTATIONS rotations," \
     "reloads ok inbound $RELOAD_IN outbound $RELOAD_OUT, failed $RELOAD_FAIL"

# RSS after warm-up: the mean of the second third against the mean of the last third.
read -r WIN_IN WIN_OUT LATE_IN LATE_OUT N_SAMPLES < <(awk '{ t[NR] = $1; i[NR] = $2; o[NR] = $3 } END {
  a = int(NR / 3); b = int(2 * NR / 3); for (k = a + 1; k <= b; k++) { si += i[k]; so += o[k] }
  for (k = b + 1; k <= NR; k++) { li += i[k]; lo += o[k] }
  printf "%d %d %d %d %d\n", si / (b - a), so / (b - a), li / (NR - b), lo / (NR - b), NR }' rss.samples)
G_IN=$((LATE_IN - WIN_IN)); G_OUT=$((LATE_OUT - WIN_OUT))
flat() { awk -v g="$1" -v base="$2" 'BEGIN { lim = base * 0.05; if (lim < 2048) lim = 2048; print (g <= lim) ? "pass" : "fail" }'; }
echo "     RSS after warm-up ($N_SAMPLES samples): inbound $WIN_IN -> $LATE_IN KiB, outbound $WIN_OUT -> $LATE_OUT KiB;" \
     "fds inbound $FDS0_IN -> $FDS1_IN, outbound $FDS0_OUT -> $FDS1_OUT"

score soak_corrupted_transfers "$CORRUPT" "$([ "$CORRUPT" = 0 ] && [ "$OK" -ge 100 ] && echo pass || echo fail)" \
  "0 corrupted of $OK ok transfers (sha256 / byte-exact echo), ${SECONDS_TOTAL}s with $KILLS backend SIGKILLs and $ROTATIONS rotations"
score soak_hung_transfers "$HUNG" "$([ "$HUNG" = 0 ] && [ "$STUCK" = 0 ] && echo pass || echo fail)" \
  "0 transfers stalled >20s, 0 client threads stuck"
score soak_reloads_inbound "$RELOAD_IN" "$([ "${RELOAD_IN%.*}" -ge $((SECONDS_TOTAL / 2)) ] && echo pass || echo fail)" \
  ">= SECONDS/2 successful reloads (symlink-swap rotation + SIGHUP every second)"
score soak_rss_growth_kib_inbound "$G_IN" "$(flat "$G_IN" "$WIN_IN")" "RSS mean last third - mean second third <= max(2MiB, 5%)"
score soak_rss_growth_kib_outbound "$G_OUT" "$(flat "$G_OUT" "$WIN_OUT")" "RSS mean last third - mean second third <= max(2MiB, 5%)"
score soak_fd_growth "$(( FDS1_IN - FDS0_IN + FDS1_OUT - FDS0_OUT ))" \
  "$([ "$FDS1_IN" -le $((FDS0_IN + 2)) ] && [ "$FDS1_OUT" -le $((FDS0_OUT + 2)) ] && echo pass || echo fail)" \
  "descriptors of both sidecars back to their start (+2) once traffic stops"
[ "$FAILED" = 0 ] || { echo "FAIL: see the SCORE lines above"; exit 1; }
echo "ok   soak ${SECONDS_TOTAL}s"
