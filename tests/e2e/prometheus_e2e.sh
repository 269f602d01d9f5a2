#!/usr/bin/env bash
# prometheus_e2e.sh PATH/TO/mtls-sidecar - a real Prometheus scrapes a real sidecar pair.
# Drives known traffic (7 requests through outbound -> inbound, 2 clients without a certificate),
# then asks Prometheus' HTTP API whether the handshake and byte counters arrived, and whether the
# shipped alert rules (deploy/prometheus/alerts.yaml) load. Loopback only; all killed at exit.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: prometheus_e2e.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PROM=$(command -v prometheus || echo /usr/bin/prometheus)
[ -x "$PROM" ] || { echo "FAIL: prometheus is not installed (apt-get install prometheus; scripts/deps.sh does)"; exit 1; }
source "$HERE/lib.sh"
e2e_init
read -r BE IN OUT AIN AOUT PP < <(free_ports 6)
cd "$W"
"$BIN" ca init --dir ca --trust-domain demo.local >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/orders --dns orders.local --out orders >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/web --out web >/dev/null
common="trust: { ca_bundle: ca/ca.crt }
workers: 2"
cat >in.yaml <<Y
admin: { listen: 127.0.0.1:$AIN }
identity: { source: file, file: { cert: orders/tls.crt, key: orders/tls.key } }
$common
inbound: [ { name: orders, listen: 127.0.0.1:$IN, forward: 127.0.0.1:$BE, allow: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/web"] } } ]
Y
cat >out.yaml <<Y
admin: { listen: 127.0.0.1:$AOUT }
identity: { source: file, file: { cert: web/tls.crt, key: web/tls.key } }
$common
outbound: [ { name: orders, listen: 127.0.0.1:$OUT, forward: 127.0.0.1:$IN, server_name: orders.local, expect: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/orders"] } } ]
Y
cat >prometheus.yml <<Y
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [ "$ROOT/deploy/prometheus/alerts.yaml" ]
scrape_configs:
  - job_name: mtls-sidecar
    static_configs: [ { targets: [ "127.0.0.1:$AIN", "127.0.0.1:$AOUT" ] } ]
Y
mkdir www && head -c 5000 /dev/urandom | base64 >www/page.txt
python3 -m http.server "$BE" --bind 127.0.0.1 --directory www >backend.log 2>&1 & PIDS+=($!)
"$BIN" run --config in.yaml --log-level warn >in.log 2>&1 & PIDS+=($!)
"$BIN" run --config out.yaml --log-level warn >out.log 2>&1 & PIDS+=($!)
"$PROM" --config.file=prometheus.yml --storage.tsdb.path=data --web.listen-address=127.0.0.1:$PP >prom.log 2>&1 & PIDS+=($!)
# Wait on the admin ports, not the data ports: a probe of a data port would be a connection
# (and for the outbound, a handshake) of its own. Admin binds after the listeners.
up "$BE" 200 && up "$AIN" 200 && up "$AOUT" 200 && up "$PP" 200 || fail "processes did not start"

for _ in $(seq 7); do curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$OUT/page.txt" || fail "request through the pair"; done
for _ in 1 2; do python3 "$HERE/contract/tlsprobe.py" "127.0.0.1:$IN" --ca ca/ca.crt >/dev/null && fail "a client without certificate got through"; done

query() {  # prints the single value of an instant query, or "none"
  curl -sf --max-time 3 "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'
}
expect() {  # expect NAME QUERY VALUE: polls up to 20 s (Prometheus scrapes every second)
  local got=""
  for _ in $(seq 80); do got=$(query "$2" || echo none); [ "$got" = "$3" ] && { echo "ok   $1 = $got"; return 0; }; sleep 0.25; done
  fail "$1: query '$2' gave '$got', want '$3'"
}
expect "targets up" 'sum(up{job="mtls-sidecar"})' 2
expect "inbound successful handshakes" 'sum(mtls_handshakes_total{direction="inbound",result="success"})' 7
expect "outbound successful handshakes" 'sum(mtls_handshakes_total{direction="outbound",result="success"})' 7
expect "inbound refusals without certificate" 'sum(mtls_handshakes_total{direction="inbound",reason="no_peer_cert"})' 2
expect "peer label of the client" 'sum(mtls_peer_connections_total{direction="inbound",peer="spiffe://demo.local/ns/default/sa/web"})' 7
# The same bytes cross both sidecars: what the inbound got from upstream, the outbound got too.
expect "upstream bytes equal on both sides" 'sum(mtls_bytes_total{direction="inbound",from="upstream"}) - sum(mtls_bytes_total{direction="outbound",from="upstream"})' 0
expect "downstream bytes equal on both sides" 'sum(mtls_bytes_total{direction="inbound",from="downstream"}) - sum(mtls_bytes_total{direction="outbound",from="downstream"})' 0
expect "bytes from the backend arrived" 'sum(mtls_bytes_total{direction="inbound",from="upstream"}) > 7 * 5000' "$(query 'sum(mtls_bytes_total{direction="inbound",from="upstream"})')"
expect "handshake latency histogram" 'sum(mtls_handshake_duration_seconds_count{direction="inbound"})' 7
rules=$(curl -sf "http://127.0.0.1:$PP/api/v1/rules" | python3 -c 'import json,sys; print(sum(len(g["rules"]) for g in json.load(sys.stdin)["data"]["groups"]))')
[ "$rules" -gt 0 ] || fail "alert rules did not load"
echo "ok   $rules alert rules from deploy/prometheus/alerts.yaml loaded"
