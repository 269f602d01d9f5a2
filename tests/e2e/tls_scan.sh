#!/usr/bin/env bash
# tls_scan.sh [PATH/TO/mtls-sidecar] - TLS scanners against an inbound listener.
# Makes a test PKI with `mtls-sidecar ca init/issue`, starts a plaintext backend and an inbound
# sidecar in front of it on 127.0.0.1, then runs:
#   - testssl.sh (Debian package testssl.sh: /usr/bin/testssl) with --jsonfile. testssl 3.0 cannot
#     present a client certificate, so it sees "certificate-based authentication" and skips what
#     needs a full handshake (HTTP checks, client renegotiation, resumption); the checks below
#     cover those. It scans "localhost" pinned to 127.0.0.1 (--ip, --nodns none: no DNS at all)
#     with the test CA added (--add-ca), so name and chain checks are real, not allowlisted;
#   - sslscan (Debian package sslscan) with --xml, presenting the client certificate: without one
#     the TLS 1.2 handshakes fail and sslscan reports no TLS 1.2 suite at all;
#   - direct probes: an HTTP GET over TLS 1.2 and 1.3 without and with a client certificate
#     (required, and the listener really serves), and `openssl s_client` asking for a TLS 1.2
#     renegotiation ("R"), which must end in "no renegotiation".
# tls_scan_check.py parses the results and FAILS on: a testssl finding >= MEDIUM not in
# tls_scan_allowlist.txt, a protocol below TLS 1.2, renegotiation, client certificate not
# required, a suite that is not AEAD with (EC)DHE, or a scan that did not run. Prints a summary
# and SCORE lines. ~2-3 min (testssl is most of it). Targets only 127.0.0.1; everything started
# is killed by PID at exit. Reports are kept in $TLS_SCAN_OUT when set (else printed on failure).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
BIN=$(readlink -f "${1:-$root/build/proxy/mtls-sidecar}")
TESTSSL=${TESTSSL:-$(command -v testssl.sh || command -v testssl || true)}
for tool in "$BIN" "$TESTSSL" "$(command -v sslscan || true)" "$(command -v openssl || true)"; do
  [ -n "$tool" ] && [ -x "$tool" ] && continue
  echo "FAIL: missing $tool (needs the sidecar binary and Debian packages testssl.sh, sslscan, openssl)"
  exit 1
done
W=$(mktemp -d)
PIDS=()
cleanup() {
  stop_pids
  if [ -n "${TLS_SCAN_OUT:-}" ]; then
    mkdir -p "$TLS_SCAN_OUT"
    cp "$W"/testssl.* "$W"/sslscan.* "$W"/probe-*.txt "$W"/renegotiation.txt "$W"/inbound.log \
      "$TLS_SCAN_OUT"/ 2>/dev/null || true
  fi
  rm -rf "$W"
}
trap cleanup EXIT
start=$(date +%s)
read -r BE IN AIN < <(free_ports 3)
cd "$W"

"$BIN" ca init --dir ca --trust-domain scan.local >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://scan.local/ns/scan/sa/server --dns localhost --out server >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://scan.local/ns/scan/sa/scanner --out client >/dev/null
cat >inbound.yaml <<Y
admin: { listen: 127.0.0.1:$AIN }
identity:
  source: file
  file: { cert: server/tls.crt, key: server/tls.key }
trust: { ca_bundle: ca/ca.crt }
inbound:
  - name: scan
    listen: 127.0.0.1:$IN
    forward: 127.0.0.1:$BE
    allow: { spiffe_ids: ["spiffe://scan.local/ns/scan/sa/scanner"] }
limits: { drain_delay: 0s }
Y
mkdir www && echo "scanned through mTLS" >www/index.html
python3 -m http.server "$BE" --bind 127.0.0.1 --directory www >backend.log 2>&1 & PIDS+=($!)
"$BIN" run --config inbound.yaml >inbound.log 2>&1 & SIDECAR=$!; PIDS+=($SIDECAR)
up "$BE" && up "$IN" || { echo "FAIL: sidecar or backend did not start"; tail -n 5 inbound.log; exit 1; }

python3 "$here/tls_scan_check.py" probe 127.0.0.1 "$IN" localhost ca/ca.crt >probe-without-cert.txt
python3 "$here/tls_scan_check.py" probe 127.0.0.1 "$IN" localhost ca/ca.crt client/tls.crt client/tls.key >probe-with-cert.txt
(printf 'R\n'; sleep 2) | timeout 15 openssl s_client -connect "127.0.0.1:$IN" -servername localhost \
  -tls1_2 -cert client/tls.crt -key client/tls.key -CAfile ca/ca.crt >renegotiation.txt 2>&1 || true
echo "sslscan ..."
timeout 180 sslscan --no-colour --ipv4 --sni-name=localhost --certs=client/tls.crt --pk=client/tls.key \
  --xml=sslscan.xml "127.0.0.1:$IN" >sslscan.txt 2>&1 || echo "sslscan exited $?"
echo "testssl.sh ..."
timeout 900 "$TESTSSL" --quiet --color 0 --warnings off --nodns none --ip 127.0.0.1 --add-ca ca/ca.crt \
  --connect-timeout 5 --openssl-timeout 10 --jsonfile testssl.json "localhost:$IN" >testssl.txt 2>&1 \
  || echo "testssl.sh exited $? (its exit code counts findings; the JSON is what is checked)"

rc=0
python3 "$here/tls_scan_check.py" check "$W" "$here/tls_scan_allowlist.txt" || rc=1
if kill -0 "$SIDECAR" 2>/dev/null; then
  echo "SCORE tls_scan.survived alive pass the sidecar is still running after both scans"
else
  echo "SCORE tls_scan.survived died fail the sidecar is still running after both scans"
  tail -n 20 inbound.log
  rc=1
fi
if [ "$rc" != 0 ] && [ -z "${TLS_SCAN_OUT:-}" ]; then
  echo "--- testssl.sh output (tail)"; tail -n 40 testssl.txt
  echo "--- sslscan output (tail)"; tail -n 30 sslscan.txt
fi
echo "tls_scan.sh: $([ "$rc" = 0 ] && echo PASS || echo FAIL) in $(($(date +%s) - start)) s"
exit "$rc"
