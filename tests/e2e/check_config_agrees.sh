#!/usr/bin/env bash
# check_config_agrees.sh PATH/TO/mtls-sidecar - `check-config` predicts `run`: over a corpus of
# broken configs (missing, mismatched or unreadable files, an empty bundle, a missing CA
# directory, features this build lacks, YAML mistakes) both commands exit 1 and print the same
# FILE:LINE:COL: field: message lines, placed at the field that names the file, paths as written;
# a good config passes check-config and runs. Ports are not bound by check-config and `forward`
# is not reached by either, so the corpus has no mistakes of that kind. Loopback only.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: check_config_agrees.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
e2e_init
read -r IN FWD ADMIN IN2 ADMIN2 < <(free_ports 5)
cd "$W"

"$BIN" ca init --dir ca --trust-domain demo.local >/dev/null
"$BIN" ca init --dir other-ca --trust-domain other.local >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/orders --out orders >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/web --out web >/dev/null
cp -r orders writable && chmod 666 writable/tls.key
cp -r orders readable && chmod 644 readable/tls.key
mkdir trust && cp ca/ca.crt trust/ca.crt && : >trust/empty.crt && echo "not a certificate" >trust/junk.crt

# config NAME IDENTITY_LINES [TRUST] [PROTOCOL]: NAME.yaml, an inbound on $IN.
config() {
  cat >"$1.yaml" <<Y
admin: { listen: 127.0.0.1:$ADMIN }
workers: 1
identity:
$2
trust: { ca_bundle: ${3:-trust/ca.crt} }
inbound:
  - name: orders
    listen: 127.0.0.1:$IN
    forward: 127.0.0.1:$FWD
    protocol: ${4:-tcp}
    allow: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/web"] }
limits: { drain_delay: 0s }
Y
}
FILE='  source: file
  file: { cert: orders/tls.crt, key: orders/tls.key }'
config good "$FILE"
config missing-cert '  source: file
  file: { cert: nowhere/tls.crt, key: orders/tls.key }'
config mismatched-key '  source: file
  file: { cert: orders/tls.crt, key: web/tls.key }'
config empty-bundle "$FILE" trust/empty.crt
config junk-bundle "$FILE" trust/junk.crt
config other-ca "$FILE" other-ca/ca.crt
config missing-passphrase '  source: file
  file: { cert: orders/tls.crt, key: orders/tls.key, key_passphrase_file: nowhere.pass }'
config missing-ca-dir '  source: local_ca
  local_ca: { dir: no-ca/, spiffe_id: "spiffe://demo.local/ns/default/sa/orders" }'
config http "$FILE" trust/ca.crt http
ACM='  source: acm
  acm: { certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" }'
config acm "$ACM" trust/nowhere.crt
config acm-good "$ACM"
config writable-key '  source: file
  file: { cert: writable/tls.crt, key: writable/tls.key }'
config readable-key '  source: file
  file: { cert: readable/tls.crt, key: readable/tls.key }'
config unknown-key "$FILE
  colour: blue"
sed 's/^workers: 1/workers: many/' good.yaml >wrong-type.yaml
sed 's/^inbound:/inbound: [/' good.yaml >yaml-syntax.yaml
# A group the OpenSSL in use lacks (hybrid ML-KEM arrived in 3.5; bookworm has 3.0).
sed 's/^workers: 1/workers: 1\ntls: { groups: [X25519, X25519MLKEM768] }/' good.yaml >mlkem.yaml

# The exact messages of the mistakes newcomers make most: at the field naming the file, as written.
declare -A WANT=(
  [missing-cert]='missing-cert.yaml:5:11: identity.file.cert: nowhere/tls.crt: cannot read: No such file or directory'
  [mismatched-key]='mismatched-key.yaml:5:33: identity.file.key: web/tls.key: private key does not match the certificate orders/tls.crt'
  [empty-bundle]='empty-bundle.yaml:6:10: trust.ca_bundle: trust/empty.crt: no certificate found'
  [other-ca]='other-ca.yaml:5:11: identity.file.cert: orders/tls.crt: certificate does not chain to the trust bundle other-ca/ca.crt: self-signed certificate in certificate chain'
  [missing-ca-dir]='missing-ca-dir.yaml:5:15: identity.local_ca.dir: no-ca/: no such directory; create the CA with `mtls-sidecar ca init --dir no-ca/`'
  [writable-key]='writable-key.yaml:5:35: identity.file.key: writable/tls.key: writable by others (mode 0666): anyone on this host could replace it; chmod 600 writable/tls.key'
  [acm]='acm.yaml:6:10: trust.ca_bundle: trust/nowhere.crt: cannot read: No such file or directory'
)

for name in missing-cert mismatched-key empty-bundle junk-bundle other-ca missing-passphrase \
            missing-ca-dir acm writable-key unknown-key wrong-type yaml-syntax mlkem; do
  rc=0; "$BIN" check-config --config "$name.yaml" >/dev/null 2>check.err || rc=$?
  [ "$rc" = 1 ] || fail "check-config $name.yaml: exit $rc, want 1: $(cat check.err)"
  [ -s check.err ] || fail "check-config $name.yaml: exit 1 without a message"
  rc=0; timeout 10 "$BIN" run --config "$name.yaml" >/dev/null 2>run.err || rc=$?
  [ "$rc" = 1 ] || fail "run $name.yaml: exit $rc, want 1 like check-config: $(cat run.err)"
  while IFS= read -r line; do
    grep -qxF -- "$line" run.err || fail "run $name.yaml does not say what check-config says: $line; run says: $(cat run.err)"
  done <check.err
  if [ -n "${WANT[$name]:-}" ]; then
    grep -qxF -- "${WANT[$name]}" check.err || fail "check-config $name.yaml: want: ${WANT[$name]}; got: $(cat check.err)"
  fi
  grep -q "keeps serving" run.err && fail "run $name.yaml speaks of a previous identity: $(cat run.err)"
  echo "ok   $name: check-config and run both refuse it: $(head -n 1 check.err)"
done

grep -qE '^mlkem.yaml:3:25: tls.groups\[1\]: X25519MLKEM768 \(hybrid ML-KEM\) needs OpenSSL 3.5 or later; this build runs OpenSSL 3\.' check.err ||
  fail "check-config mlkem.yaml: no FILE:LINE:COL naming the OpenSSL ML-KEM needs: $(cat check.err)"

# A key others can read is a warning, from both commands; the sidecar still starts.
WARNING='readable-key.yaml:5:35: identity.file.key: warning: readable/tls.key: readable by others (mode 0644); chmod 600 readable/tls.key'
"$BIN" check-config --config readable-key.yaml >/dev/null 2>check.err || fail "check-config readable-key.yaml: $(cat check.err)"
grep -qxF -- "$WARNING" check.err || fail "check-config readable-key.yaml: want: $WARNING; got: $(cat check.err)"
"$BIN" run --config readable-key.yaml >readable.log 2>&1 & pid=$!; PIDS+=($pid)
up "$IN" || fail "run readable-key.yaml did not start: $(cat readable.log)"
grep -qF -- "$WARNING" readable.log || fail "run readable-key.yaml does not warn: $(cat readable.log)"
kill "$pid"; wait "$pid" || fail "run readable-key.yaml did not stop cleanly"
echo "ok   readable-key: check-config and run both warn, naming the file and its mode"

"$BIN" check-config --config http.yaml >/dev/null 2>check.err || fail "check-config http.yaml: $(cat check.err)"
echo "ok   http: check-config accepts protocol: http"
"$BIN" check-config --config good.yaml >/dev/null 2>check.err || fail "check-config good.yaml: $(cat check.err)"
[ -s check.err ] && fail "check-config good.yaml warns: $(cat check.err)"
"$BIN" run --config good.yaml >good.log 2>&1 & PIDS+=($!)
up "$IN" || fail "run good.yaml did not start: $(cat good.log)"
echo "ok   good: check-config accepts it and run starts"

# acm: check-config calls no AWS (no credentials, no network here) and accepts the config; run
# comes up without an identity, says why on /ready (503) and keeps trying instead of exiting.
NO_AWS=(env -i "PATH=$PATH" "HOME=$W" AWS_EC2_METADATA_DISABLED=true)
"${NO_AWS[@]}" "$BIN" check-config --config acm-good.yaml >/dev/null 2>check.err ||
  fail "check-config acm-good.yaml: $(cat check.err)"
[ -s check.err ] && fail "check-config acm-good.yaml warns: $(cat check.err)"
sed "s/127.0.0.1:$IN/127.0.0.1:$IN2/; s/127.0.0.1:$ADMIN/127.0.0.1:$ADMIN2/" acm-good.yaml >acm-run.yaml
"${NO_AWS[@]}" "$BIN" run --config acm-run.yaml >acm.log 2>&1 & acm_pid=$!; PIDS+=($acm_pid)
up "$ADMIN2" || fail "run acm-run.yaml: no admin port: $(cat acm.log)"
for _ in $(seq 100); do
  ready=$(curl -s -w ' %{http_code}' "http://127.0.0.1:$ADMIN2/ready" || true)
  case $ready in *"no AWS credentials found"*503) break ;; esac
  sleep 0.05
done
case $ready in *"no AWS credentials found"*503) ;; *) fail "acm without credentials: /ready says: $ready" ;; esac
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN2/healthz")" = 200 ] ||
  fail "acm without credentials: /healthz is not 200"
kill -0 "$acm_pid" || fail "run acm-run.yaml exited: $(cat acm.log)"
kill "$acm_pid"; wait "$acm_pid" || fail "run acm-run.yaml did not stop cleanly: $(cat acm.log)"
echo "ok   acm: check-config accepts it without AWS; run without credentials is up, not ready: ${ready% *}"

# Ports are run's to bind; one in use is still reported at the line of its address.
rc=0; timeout 10 "$BIN" run --config good.yaml >/dev/null 2>run.err || rc=$?
WANT_PORT="good.yaml:9:5: inbound[0].listen: listener orders on 127.0.0.1:$IN: Address already in use"
[ "$rc" = 1 ] && grep -qxF -- "$WANT_PORT" run.err || fail "a second run on good.yaml: exit $rc, want 1 and: $WANT_PORT; got: $(cat run.err)"
sed "s/127.0.0.1:$IN/127.0.0.1:$IN2/" good.yaml >admin-taken.yaml
rc=0; timeout 10 "$BIN" run --config admin-taken.yaml >/dev/null 2>run.err || rc=$?
WANT_ADMIN="admin-taken.yaml:1:10: admin.listen: admin on 127.0.0.1:$ADMIN: Address already in use"
[ "$rc" = 1 ] && grep -qxF -- "$WANT_ADMIN" run.err || fail "admin port taken: exit $rc, want 1 and: $WANT_ADMIN; got: $(cat run.err); good: $(cat good.log)"
echo "ok   a port in use fails run (exit 1) at the line of its address"
