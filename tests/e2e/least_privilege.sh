#!/usr/bin/env bash
# least_privilege.sh PATH/TO/mtls-sidecar - least privilege, from the outside: `run` with
# `run_as_user: nobody` (when run as root) serves traffic with every thread of the process switched
# to that user with no capabilities and no_new_privs set; a certificate rotated inside its
# directory (Kubernetes ..data swap) still reloads; a rotation that points outside the
# directories the sandbox allows fails to reload with "Permission denied" (Landlock binds the
# loader thread that reloads, not only the main thread) and the old identity keeps serving;
# key_passphrase_env is gone from /proc/PID/environ; an unknown user fails start-up. Prints SCORE lines; loopback only. ~10 s.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: least_privilege.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
TOOL=$HERE/reliability_tool.py
source "$HERE/lib.sh"
e2e_init
metric() { curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v m="$2" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'; }
read -r BE_H BE_E IN AIN < <(free_ports 4)
chmod 755 "$W"
cd "$W"

SKIPPED=""
AS_ROOT=0; [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && AS_ROOT=1
USER_LINE=""; [ "$AS_ROOT" = 1 ] && USER_LINE="run_as_user: nobody"
"$BIN" ca init --dir ca --trust-domain test.local >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://test.local/ns/default/sa/frontend --out frontend >/dev/null
mkdir -m 755 trust id outside && cp ca/ca.crt trust/
issue() {  # issue DIR: a fresh backend leaf in DIR, readable by the sidecar's user
  "$BIN" ca issue --dir ca --spiffe-id spiffe://test.local/ns/default/sa/backend --dns backend.local --out "$1" >/dev/null
  chmod 755 "$1"; [ "$AS_ROOT" = 1 ] && chown -R nobody "$1"; true
}
swap() { ln -sfn "$1" id/..data_tmp && mv -T id/..data_tmp id/..data; }  # what the kubelet does
issue id/..v1 && swap ..v1
ln -s ..data/tls.crt id/tls.crt && ln -s ..data/tls.key id/tls.key
cat >in.yaml <<Y
admin: { listen: 127.0.0.1:$AIN }
workers: 2
identity: { source: file, file: { cert: id/tls.crt, key: id/tls.key, key_passphrase_env: MTLS_E2E_PASS } }
trust: { ca_bundle: trust/ca.crt }
inbound:
  - { name: in, listen: 127.0.0.1:$IN, forward: 127.0.0.1:$BE_E, allow: { spiffe_ids: ["spiffe://test.local/ns/default/sa/frontend"] } }
$USER_LINE
Y
good() { python3 "$TOOL" tls-echo "$IN" frontend/tls.crt frontend/tls.key ca/ca.crt backend.local >/dev/null; }
serial() { echo | timeout 5 openssl s_client -connect "127.0.0.1:$IN" -cert frontend/tls.crt -key frontend/tls.key \
  -CAfile ca/ca.crt 2>/dev/null | openssl x509 -noout -serial 2>/dev/null; }
reloads() { metric "$AIN" "mtls_certificate_reloads_total{result=\"$1\""; }
wait_reload() {  # wait_reload RESULT BEFORE: until more than BEFORE reloads with RESULT are counted
  for _ in $(seq 100); do [ "$(reloads "$1")" -gt "$2" ] && return 0; sleep 0.05; done; return 1
}
hup_and_wait() { local before; before=$(reloads "$1"); kill -HUP "$PID"; wait_reload "$1" "$before"; }

python3 "$TOOL" backend "$BE_H" "$BE_E" >backend.log 2>&1 & PIDS+=($!)
PASS_MARK=lp-pass-marker-$$  # the key is not encrypted: the passphrase is read and ignored
MTLS_E2E_PASS=$PASS_MARK "$BIN" run --config in.yaml >in.log 2>&1 & PID=$!; PIDS+=($PID)
up "$BE_E" && up "$IN" && up "$AIN" || fail "processes did not start"
for _ in $(seq 50); do grep -q '"ready"\|ready$' in.log && break; sleep 0.05; done
good || fail "a good client through the sandboxed sidecar"
grep -o 'landlock[^"]*' in.log | head -n 1 | cut -c1-160
LANDLOCK=0; grep -q 'landlock ABI' in.log && LANDLOCK=1

# key_passphrase_env is taken out of the environment, /proc/PID/environ included.
ENV_LEAK=$(tr '\0' '\n' </proc/"$PID"/environ | grep -c "$PASS_MARK" || true)
score least_privilege_passphrase_env "$ENV_LEAK" "$([ "$ENV_LEAK" = 0 ] && echo pass || echo fail)" \
  "the key_passphrase_env value no longer appears in /proc/PID/environ once running"

# Every thread: user, capabilities, no_new_privs.
WANT_UID=$(id -u); [ "$AS_ROOT" = 1 ] && WANT_UID=$(id -u nobody)
THREADS=0; BAD=""
for t in /proc/"$PID"/task/*; do
  THREADS=$((THREADS + 1))
  awk -v u="$WANT_UID" '/^Uid:/ { ok = ($2 == u && $3 == u && $4 == u && $5 == u) } /^NoNewPrivs:/ { nnp = $2 }
    /^CapEff:/ { eff = $2 } /^CapPrm:/ { prm = $2 }
    END { exit !(ok && nnp == 1 && (u == 0 || (eff == "0000000000000000" && prm == "0000000000000000"))) }' "$t/status" \
    || BAD="$BAD $(basename "$t")"
done
echo "     $THREADS threads; expected uid $WANT_UID, no_new_privs, no capabilities${BAD:+; not so:$BAD}"
score least_privilege_threads "$THREADS" "$([ -z "$BAD" ] && [ "$THREADS" -ge 3 ] && echo pass || echo fail)" \
  "every thread: uid $WANT_UID$([ "$AS_ROOT" = 1 ] && echo ' (run_as_user nobody), CapEff/CapPrm 0'), NoNewPrivs 1"

# A rotation inside the watched directory reloads; one that points outside is refused by Landlock.
OLD=$(serial); BEFORE=$(reloads success)
issue id/..v2 && swap ..v2
WATCHED=pass; wait_reload success "$BEFORE" || { WATCHED=fail; hup_and_wait success || fail "a rotation inside id/ did not reload"; }
NEW=$(serial)
[ -n "$NEW" ] && [ "$NEW" != "$OLD" ] || fail "the rotated certificate is not served ($OLD -> $NEW)"
echo "ok   a ..data swap inside id/ reloads: $OLD -> $NEW"
score least_privilege_rotation_reload "$([ "$WATCHED" = pass ] && echo 1 || echo 0)" "$WATCHED" \
  "a Kubernetes-style ..data swap is seen by the file watcher and reloaded inside the sandbox, no SIGHUP"
if [ "$LANDLOCK" = 1 ]; then
  issue outside/v3 && swap "$W/outside/v3"
  DENIED=fail
  hup_and_wait failure && grep -q 'Permission denied' in.log && [ "$(serial)" = "$NEW" ] && DENIED=pass
  swap ..v2
  good || DENIED=fail
  score least_privilege_landlock_outside_read "$([ "$DENIED" = pass ] && echo 1 || echo 0)" "$DENIED" \
    "a reload (loader thread) reading a certificate outside the allowed dirs fails with EACCES; the old identity keeps serving"
else
  SKIPPED="$SKIPPED landlock ($(grep -o 'landlock: [^"]*' in.log | head -n 1))"
fi

[ "$AS_ROOT" = 1 ] || SKIPPED="$SKIPPED run_as_user (needs root and a user named nobody)"
if [ "$AS_ROOT" = 1 ]; then
  sed 's/^run_as_user: nobody/run_as_user: no-such-user-here/; s/listen: 127.0.0.1:[0-9]*/listen: 127.0.0.1:0/g' in.yaml >bad.yaml
  set +e; MTLS_E2E_PASS=$PASS_MARK "$BIN" run --config bad.yaml >bad.log 2>&1; RC=$?; set -e
  grep -q 'run_as_user: no user named "no-such-user-here"' bad.log && [ "$RC" = 1 ] && V=pass || { V=fail; tail -n 3 bad.log; }
  score least_privilege_unknown_user_exit "$RC" "$V" "run_as_user naming no user: start-up fails, exit 1, says which"
fi
[ "$FAILED" = 0 ] || { echo "FAIL: see the SCORE lines above"; exit 1; }
# What could not be checked here is a skip (77), never a pass: CI, which has both, fails on it.
[ -z "$SKIPPED" ] || { echo "SKIP: not checked:$SKIPPED"; exit 77; }
echo "ok   least privilege"
