#!/usr/bin/env bash
# proxy_protocol_haproxy.sh PATH/TO/mtls-sidecar - HAProxy itself accepts our PROXY v2 header
# (`bind ... accept-proxy`, which validates it and its TLVs) and takes the client address from
# it: an HTTP frontend answers with %ci:%cp, which must be the TLS client's own address, not the
# sidecar's. Negative control: the same HAProxy refuses a listener without proxy_protocol.
# Needs haproxy (scripts/deps.sh installs it); exits 77 (skip) without it. Loopback only.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: proxy_protocol_haproxy.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$HAPROXY" ] || { echo "SKIP: haproxy is not installed (scripts/deps.sh installs it)"; exit 77; }
source "$HERE/lib.sh"
e2e_init
read -r APP IN PLAIN ADMIN < <(free_ports 4)
cd "$W"
"$BIN" ca init --dir ca --trust-domain demo.local >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/orders --out orders >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/web --dns web.local --out web >/dev/null

cat >haproxy.cfg <<Y
defaults
  mode http
  timeout connect 5s
  timeout client 5s
  timeout server 5s
frontend app
  bind 127.0.0.1:$APP accept-proxy
  http-request return status 200 content-type text/plain lf-string "%ci:%cp"
Y
"$HAPROXY" -f haproxy.cfg -db >haproxy.log 2>&1 &
PIDS+=($!)
allow='allow: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/web"] }'
cat >in.yaml <<Y
admin: { listen: 127.0.0.1:$ADMIN }
identity: { source: file, file: { cert: orders/tls.crt, key: orders/tls.key } }
trust: { ca_bundle: ca/ca.crt }
inbound:
  - { name: pp, listen: 127.0.0.1:$IN, forward: 127.0.0.1:$APP, proxy_protocol: v2, $allow }
  - { name: plain, listen: 127.0.0.1:$PLAIN, forward: 127.0.0.1:$APP, $allow }
Y
"$BIN" run --config in.yaml 2>sidecar.log &
PIDS+=($!)
up "$APP" || fail "haproxy did not start"
up "$IN" || fail "the sidecar did not start"

# GET / through the sidecar; prints "<client's local address>:<port> <HAProxy's answer body>".
get() {
  python3 - "$1" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile="ca/ca.crt")
ctx.check_hostname = False
ctx.load_cert_chain("web/tls.crt", "web/tls.key")
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as raw:
    me = "%s:%d" % raw.getsockname()
    with ctx.wrap_socket(raw) as s:
        s.sendall(b"GET / HTTP/1.0\r\nHost: app\r\n\r\n")
        reply = b""
        try:
            while chunk := s.recv(4096):
                reply += chunk
        except (ssl.SSLError, OSError):
            pass
body = reply.split(b"\r\n\r\n", 1)[1].decode() if b"\r\n\r\n" in reply else "-"
print(me, body)
PY
}

read -r me body < <(get "$IN")
[ "$body" = "$me" ] || fail "HAProxy saw client $body, the client was $me"
echo "ok   HAProxy accepts the PROXY v2 header (with TLVs) and sees the real client $me"

read -r me body < <(get "$PLAIN")
[ "$body" = "-" ] || fail "HAProxy with accept-proxy answered a connection without a PROXY header: $body"
echo "ok   without proxy_protocol the same HAProxy refuses the connection (negative control)"
