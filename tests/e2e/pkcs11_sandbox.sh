#!/usr/bin/env bash
# pkcs11_sandbox.sh PATH/TO/mtls-sidecar - a PKCS#11 key (a SoftHSM2 token made here) under
# `run`'s Landlock sandbox: the token's directory lies outside every directory the config names,
# yet handshakes are signed in the token (SoftHSM2 reads that directory at every signature) and a
# certificate rotation (SIGHUP) reloads, the key being looked up in the token again, and the new
# certificate serves. Skips (77) without softhsm2, opensc, the pkcs11 engine or Landlock.
# Prints SCORE lines; loopback only. ~5 s.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: pkcs11_sandbox.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
TOOL=$HERE/reliability_tool.py
source "$HERE/lib.sh"
MODULE=/usr/lib/softhsm/libsofthsm2.so
ENGINE_DIR=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"/\1/p')
for need in softhsm2-util pkcs11-tool; do
  command -v "$need" >/dev/null || { echo "SKIP: $need missing (Debian softhsm2, opensc)"; exit 77; }
done
[ -f "$MODULE" ] || { echo "SKIP: $MODULE missing (Debian softhsm2)"; exit 77; }
[ -f "$ENGINE_DIR/pkcs11.so" ] || { echo "SKIP: no pkcs11 engine (Debian libengine-pkcs11-openssl)"; exit 77; }
e2e_init
read -r BE_H BE_E IN AIN < <(free_ports 4)
cd "$W"

# The token lives in hsm/, which the config never names: only the PKCS#11 grant opens it.
mkdir -p hsm/tokens id trust client
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$W/hsm/tokens" >hsm/softhsm2.conf
export SOFTHSM2_CONF=$W/hsm/softhsm2.conf
softhsm2-util --init-token --free --label e2e --pin 2468 --so-pin 1357 >hsm.log
pkcs11-tool --module "$MODULE" --token-label e2e --login --pin 2468 --keypairgen \
  --key-type EC:prime256v1 --id 01 --label web >>hsm.log 2>&1
printf '2468\n' >id/pin && chmod 600 id/pin
URI="pkcs11:token=e2e;object=web?module-path=$MODULE&pin-source=file:id/pin"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out trust/ca.crt \
  -subj "/CN=e2e CA" -days 1 -addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client/tls.key -out client/tls.crt \
  -subj "/CN=frontend" -days 1 -CA trust/ca.crt -CAkey ca.key \
  -addext subjectAltName=URI:spiffe://test.local/ns/default/sa/frontend -addext extendedKeyUsage=clientAuth 2>/dev/null
openssl req -new -engine pkcs11 -keyform engine -key "pkcs11:token=e2e;object=web;pin-value=2468" \
  -subj "/CN=backend.local" -out web.csr >>hsm.log 2>&1
printf 'subjectAltName=URI:spiffe://test.local/ns/default/sa/backend,DNS:backend.local\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n' >ext
issue() {  # a certificate for the token's key, replacing id/tls.crt in one rename
  openssl x509 -req -in web.csr -CA trust/ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile ext -out id/new.crt 2>/dev/null
  mv id/new.crt id/tls.crt
}
issue
cat >in.yaml <<Y
admin: { listen: 127.0.0.1:$AIN }
workers: 1
identity: { source: file, file: { cert: id/tls.crt, key: "$URI" } }
trust: { ca_bundle: trust/ca.crt }
inbound:
  - { name: in, listen: 127.0.0.1:$IN, forward: 127.0.0.1:$BE_E, allow: { spiffe_ids: ["spiffe://test.local/ns/default/sa/frontend"] } }
Y
"$BIN" check-config --config in.yaml >check.log 2>&1 || fail "check-config refused the token key"

serial() { echo | timeout 5 openssl s_client -connect "127.0.0.1:$IN" -cert client/tls.crt -key client/tls.key \
  -CAfile trust/ca.crt 2>/dev/null | openssl x509 -noout -serial 2>/dev/null; }
good() { python3 "$TOOL" tls-echo "$IN" client/tls.crt client/tls.key trust/ca.crt backend.local >/dev/null; }
reloads() { curl -sf --max-time 5 "http://127.0.0.1:$AIN/metrics" |
  awk -v m="mtls_certificate_reloads_total{result=\"$1\"" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'; }

python3 "$TOOL" backend "$BE_H" "$BE_E" >backend.log 2>&1 & PIDS+=($!)
"$BIN" run --config in.yaml >in.log 2>&1 & PID=$!; PIDS+=($PID)
up "$BE_E" && up "$IN" && up "$AIN" || fail "processes did not start"
grep -q 'landlock ABI' in.log || { echo "SKIP: $(grep -o 'landlock: [^"]*' in.log | head -n 1)"; exit 77; }
good || fail "a handshake signed in the token, through the sandboxed sidecar"

BEFORE=$(reloads success)
issue
NEW=$(openssl x509 -in id/tls.crt -noout -serial)
kill -HUP "$PID"
for _ in $(seq 100); do [ "$(reloads success)" -gt "$BEFORE" ] && break; sleep 0.05; done
V=fail
[ "$(reloads success)" -gt "$BEFORE" ] && [ "$(serial)" = "$NEW" ] && good && V=pass
[ "$V" = pass ] || tail -n 3 in.log
score pkcs11_sandbox_reload "$(reloads failure)" "$V" \
  "a rotated certificate reloads under Landlock with the key found in the token again (reload failures counted: the value)"
[ "$FAILED" = 0 ] || { echo "FAIL: see the SCORE lines above"; exit 1; }
echo "ok   pkcs11 key under the sandbox"
