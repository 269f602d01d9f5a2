#!/usr/bin/env bash
# http_websocket.sh PATH/TO/mtls-sidecar - a real WebSocket client and server (Python
# `websockets`, Debian python3-websockets) through outbound -> mTLS -> inbound, both
# protocol: http: the Upgrade (101) goes through HTTP mode, then the byte relay carries the
# frames both ways. Also checks that the app saw our x-forwarded-client-cert on the handshake.
# Loopback only; exits 77 (skip) without python3-websockets.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: http_websocket.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
# Debian's python3 has the package; a python3 earlier on PATH (pyenv, a venv) may not.
PY=python3
command python3 -c 'import websockets' 2>/dev/null || PY=/usr/bin/python3
"$PY" -c 'import websockets' 2>/dev/null || { echo "SKIP: python3-websockets missing"; exit 77; }
e2e_init
cd "$W"

"$BIN" ca init --dir ca --trust-domain demo.local >/dev/null
mkdir trust && cp ca/ca.crt trust/ca.crt  # the CA key stays out of what the sidecars read
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/app --dns app.local \
  --out app >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/web --out web >/dev/null
read -r APP IN OUT AIN AOUT < <("$PY" -c '
import socket
s = [socket.socket() for _ in range(5)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

cat >server.py <<PY
import asyncio, websockets
async def echo(ws):
    xfcc = ws.request_headers.get("x-forwarded-client-cert", "")
    await ws.send("xfcc " + xfcc)
    async for message in ws:
        await ws.send(message)
async def main():
    async with websockets.serve(echo, "127.0.0.1", $APP):
        await asyncio.Future()
asyncio.run(main())
PY
cat >client.py <<PY
import asyncio, os, websockets
async def main():
    async with websockets.connect("ws://127.0.0.1:$OUT/chat") as ws:
        print(await ws.recv())
        for payload in ["hello", "x" * 100000, os.urandom(70000)]:
            await ws.send(payload)
            assert await ws.recv() == payload, "echo differs"
        print("echo ok")
asyncio.run(main())
PY
cat >in.yaml <<Y
admin: { listen: 127.0.0.1:$AIN }
identity: { source: file, file: { cert: app/tls.crt, key: app/tls.key } }
trust: { ca_bundle: trust/ca.crt }
inbound:
  - { name: app, listen: 127.0.0.1:$IN, forward: 127.0.0.1:$APP, protocol: http,
      allow: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/web"] } }
limits: { drain_delay: 0s }
Y
cat >out.yaml <<Y
admin: { listen: 127.0.0.1:$AOUT }
identity: { source: file, file: { cert: web/tls.crt, key: web/tls.key } }
trust: { ca_bundle: trust/ca.crt }
outbound:
  - { name: app, listen: 127.0.0.1:$OUT, forward: 127.0.0.1:$IN, server_name: app.local,
      protocol: http, expect: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/app"] } }
limits: { drain_delay: 0s }
Y
"$PY" server.py >server.log 2>&1 & PIDS+=($!)
"$BIN" run --config in.yaml >in.log 2>&1 & PIDS+=($!)
"$BIN" run --config out.yaml >out.log 2>&1 & PIDS+=($!)
for p in "$APP" "$IN" "$OUT"; do up "$p" || fail "port $p did not come up"; done

timeout 30 "$PY" client.py >client.log 2>&1 || fail "websocket client: $(cat client.log)"
grep -q '^xfcc By=spiffe://demo.local/ns/default/sa/app;Hash=[0-9a-f]\{64\};URI=spiffe://demo.local/ns/default/sa/web$' client.log ||
  fail "the app saw no XFCC of ours: $(cat client.log)"
grep -qx "echo ok" client.log || fail "no echo: $(cat client.log)"
echo "ok   websocket echo through outbound -> inbound (protocol: http), XFCC on the upgrade"
