#!/usr/bin/env bash
# readme_pair.sh PATH/TO/mtls-sidecar - the README's "Running it for real" section, as a user
# would run it: ca init, ca issue, check-config, an inbound and an outbound sidecar as separate
# processes carrying curl to a plaintext backend, openssl s_client without a certificate refused,
# SIGHUP reloads, SIGTERM stops with exit 0. Loopback only; everything started is killed at exit.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: readme_pair.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
e2e_init
read -r BE IN OUT AIN AOUT < <(free_ports 5)
cd "$W"

"$BIN" ca init --dir ca --trust-domain demo.local >/dev/null
[ "$(stat -c %a ca/ca.key)" = 600 ] || fail "ca.key is not mode 0600"
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/orders --dns orders.local --out orders >/dev/null
[ -s orders/tls.crt ] && [ "$(stat -c %a orders/tls.key)" = 600 ] || fail "ca issue did not write orders/"
openssl x509 -in orders/tls.crt -noout -ext subjectAltName | grep -q 'URI:spiffe://demo.local/ns/default/sa/orders' \
  || fail "issued certificate lacks the SPIFFE URI SAN"

cat >inbound.yaml <<Y
admin: { listen: 127.0.0.1:$AIN }
identity:
  source: file
  file: { cert: orders/tls.crt, key: orders/tls.key }
trust: { ca_bundle: ca/ca.crt }
inbound:
  - name: orders
    listen: 127.0.0.1:$IN
    forward: 127.0.0.1:$BE
    allow: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/web"] }
Y
cat >outbound.yaml <<Y
admin: { listen: 127.0.0.1:$AOUT }
identity:
  source: local_ca
  local_ca: { dir: ca, spiffe_id: "spiffe://demo.local/ns/default/sa/web", ttl: 24h }
outbound:
  - name: orders
    listen: 127.0.0.1:$OUT
    forward: 127.0.0.1:$IN
    server_name: orders.local
    expect: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/orders"] }
limits: { drain_delay: 0s }
Y
"$BIN" check-config --config inbound.yaml >/dev/null || fail "check-config inbound.yaml"
"$BIN" check-config --config outbound.yaml >/dev/null || fail "check-config outbound.yaml"

mkdir www && echo "hello through mTLS" >www/hello.txt
python3 -m http.server "$BE" --bind 127.0.0.1 --directory www >backend.log 2>&1 & PIDS+=($!)
"$BIN" run --config inbound.yaml >inbound.log 2>&1 & IN_PID=$!; PIDS+=($IN_PID)
"$BIN" run --config outbound.yaml >outbound.log 2>&1 & OUT_PID=$!; PIDS+=($OUT_PID)
up "$BE" && up "$IN" && up "$OUT" && up "$AIN" || fail "processes did not start"

[ "$(curl -sf --max-time 5 "http://127.0.0.1:$OUT/hello.txt")" = "hello through mTLS" ] || fail "curl through the pair"
echo "ok   curl through outbound -> inbound -> backend"

s_client_out=$(printf 'GET /hello.txt HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -connect "127.0.0.1:$IN" \
  -CAfile ca/ca.crt -ign_eof 2>&1 || true)
echo "$s_client_out" | grep -q "hello through mTLS" && fail "s_client without a certificate got the page"
echo "$s_client_out" | grep -qE "alert number 116|certificate required" || fail "no certificate-required alert: $s_client_out"
echo "ok   openssl s_client without a client certificate refused (alert 116 certificate_required)"
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/web --out web >/dev/null
sent=$(timeout 5 openssl s_client -connect "127.0.0.1:$IN" -CAfile ca/ca.crt -cert web/tls.crt -key web/tls.key \
  -showcerts </dev/null 2>/dev/null | grep -c "BEGIN CERTIFICATE" || true)
[ "$sent" = 1 ] || fail "the inbound sent $sent certificates; want the leaf only (the root is the peer's own)"
echo "ok   the inbound sends its leaf only, not the root it was issued with (SSL_MODE_NO_AUTO_CHAIN)"

kill -HUP "$IN_PID"
for _ in $(seq 50); do grep -q "SIGHUP" inbound.log && break; sleep 0.05; done
curl -sf --max-time 5 "http://127.0.0.1:$AIN/metrics" | grep -q 'mtls_certificate_reloads_total{.*result="success".*} 2' \
  || fail "SIGHUP did not reload (want 2 successful loads)"
[ "$(curl -sf --max-time 5 "http://127.0.0.1:$OUT/hello.txt")" = "hello through mTLS" ] || fail "curl after reload"
echo "ok   SIGHUP reloads and traffic keeps flowing"

# Inbound keeps the default drain_delay (5s): /ready turns 503 at once, traffic still flows, and a
# second SIGTERM exits at once. Outbound has drain_delay 0s and no connections: it exits by itself.
kill -TERM "$IN_PID"
for _ in $(seq 50); do grep -q "draining" inbound.log && break; sleep 0.05; done
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$AIN/ready")" = 503 ] || fail "/ready is not 503 while draining"
[ "$(curl -sf --max-time 5 "http://127.0.0.1:$OUT/hello.txt")" = "hello through mTLS" ] || fail "curl during drain_delay"
echo "ok   SIGTERM: /ready 503 at once, still serving during drain_delay"
kill -TERM "$IN_PID" "$OUT_PID"
for pid in "$IN_PID" "$OUT_PID"; do
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && fail "pid $pid still running 3 s after SIGTERM"
  wait "$pid" || fail "pid $pid exited non-zero after SIGTERM"
done
echo "ok   a second SIGTERM (inbound) and an empty drain (outbound) exit 0 at once"
