#!/usr/bin/env bash
# status_page_browser.sh PATH/TO/mtls-sidecar [SCREENSHOT_DIR] - the admin status page in a real
# headless Chromium. A sidecar pair carries 5 requests; 2 clients without a certificate and 1 with
# a foreign identity are refused. Chromium loads http://ADMIN/ with its script, and the rendered
# DOM must show the listener, the peer identity, each refusal reason with its count, the
# identity's serial, and no CSP violation (in the DOM's own report or on Chromium's console);
# `mtls-sidecar status` prints the same counts.
# Screenshots at 1280x800 and at phone width go to SCREENSHOT_DIR (default: the work directory,
# removed at exit). Exit 77 when chromium is missing (scripts/deps.sh installs it).
set -euo pipefail
BIN=$(readlink -f "${1:?usage: status_page_browser.sh PATH/TO/mtls-sidecar [SCREENSHOT_DIR]}")
SHOTS=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium is not installed (scripts/deps.sh installs it)"; exit 77; }
source "$HERE/lib.sh"
e2e_init
[ -n "$SHOTS" ] && mkdir -p "$SHOTS" && SHOTS=$(readlink -f "$SHOTS")
read -r BE IN OUT AIN AOUT < <(free_ports 5)
cd "$W"
"$BIN" ca init --dir ca --trust-domain demo.local >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/orders --dns orders.local --out orders >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/web --out web >/dev/null
"$BIN" ca issue --dir ca --spiffe-id spiffe://demo.local/ns/default/sa/intruder --out intruder >/dev/null
cat >in.yaml <<Y
admin: { listen: 127.0.0.1:$AIN }
identity: { source: file, file: { cert: orders/tls.crt, key: orders/tls.key } }
trust: { ca_bundle: ca/ca.crt }
workers: 2
inbound: [ { name: orders, listen: 127.0.0.1:$IN, forward: 127.0.0.1:$BE, allow: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/web"] } } ]
Y
cat >out.yaml <<Y
admin: { listen: 127.0.0.1:$AOUT }
identity: { source: file, file: { cert: web/tls.crt, key: web/tls.key } }
trust: { ca_bundle: ca/ca.crt }
outbound: [ { name: orders-client, listen: 127.0.0.1:$OUT, forward: 127.0.0.1:$IN, server_name: orders.local, expect: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/orders"] } } ]
Y
mkdir www && echo hello >www/index.txt
python3 -m http.server "$BE" --bind 127.0.0.1 --directory www >backend.log 2>&1 & PIDS+=($!)
"$BIN" run --config in.yaml --log-level warn >in.log 2>&1 & PIDS+=($!)
"$BIN" run --config out.yaml --log-level warn >out.log 2>&1 & PIDS+=($!)
up "$BE" 200 && up "$AIN" 200 && up "$AOUT" 200 || fail "processes did not start"

for _ in $(seq 5); do curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$OUT/index.txt" || fail "request through the pair"; done
for _ in 1 2; do python3 "$HERE/contract/tlsprobe.py" "127.0.0.1:$IN" --ca ca/ca.crt >/dev/null && fail "a client without certificate got through"; done
python3 "$HERE/contract/tlsprobe.py" "127.0.0.1:$IN" --ca ca/ca.crt --cert intruder/tls.crt --key intruder/tls.key --send x >/dev/null 2>&1 || true

ok=0
check() {  # check TEXT FILE: FILE contains TEXT
  if grep -qF -- "$1" "$2"; then echo "ok   $3"; else echo "FAIL $3 (no '$1' in $2)"; ok=1; fi
}
# The sidecar has counted every refusal before the browser looks (the JSON is the source).
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$AIN/status" >status.json || true
  python3 -c 'import json,sys; d=json.load(open("status.json")); sys.exit(len(d["refusals"]) != 3)' 2>/dev/null && break
  sleep 0.05
done
SERIAL=$(python3 -c 'import json; print(json.load(open("status.json"))["identity"]["serial"])')

curl -sf -D headers.txt -o page.html "http://127.0.0.1:$AIN/" || fail "GET /"
check "Content-Security-Policy: default-src 'self'" headers.txt "the page has a default-src 'self' CSP"
# Nothing the page loads comes from elsewhere: every src/href is a path on this origin.
if grep -oE '(src|href)="[^"]*"' page.html | grep -vE '"/[^/]'; then
  echo "FAIL the page refers outside its origin"; ok=1
else
  echo "ok   every src and href of the page is a path on the admin origin"
fi

browse() {  # browse SIZE ARGS...: headless Chromium with the page given time to fetch /status
  "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --user-data-dir="$W/profile" \
    --no-first-run --disable-extensions --enable-logging=stderr --v=0 \
    --window-size="$1" --virtual-time-budget=5000 "${@:2}" "http://127.0.0.1:$AIN/"
}
browse 1280,800 --dump-dom >dom.html 2>console.log || fail "chromium --dump-dom failed"
check 'data-rendered=' dom.html "the script rendered the page"
check '<th scope="row">orders</th>' dom.html "the listener's row"
check 'spiffe://demo.local/ns/default/sa/web</code>' dom.html "the peer identity among the busiest peers"
check "$SERIAL" dom.html "the identity's serial"
# The window's totals table: reason, result, count.
check 'no_peer_cert</th><td>failure</td><td class="n">2</td>' dom.html "no_peer_cert counted twice"
check 'identity_denied</th><td>failure</td><td class="n">1</td>' dom.html "identity_denied counted once"
check 'ok</th><td>success</td><td class="n">5</td>' dom.html "5 successful handshakes"
check 'spiffe://demo.local/ns/default/sa/intruder</code>' dom.html "the refused peer's identity"
check '<ul id="csp-violations" hidden="">' dom.html "the page itself saw no CSP violation"
if grep -iE 'Content Security Policy|Refused to (load|execute|apply)' console.log; then
  echo "FAIL chromium's console reports a CSP violation"; ok=1
else
  echo "ok   no CSP violation on chromium's console"
fi

# The same summary in a terminal, from the same JSON.
"$BIN" status --admin "http://127.0.0.1:$AIN" >status.txt || fail "mtls-sidecar status"
check "serial $SERIAL" status.txt "status: the identity's serial"
for want in 'orders +no_peer_cert +2$' 'orders +identity_denied +1$' 'orders +ok +5$' \
            'orders +spiffe://demo.local/ns/default/sa/web +5$'; do
  if grep -qE -- "$want" status.txt; then echo "ok   status: /$want/"; else echo "FAIL status: no /$want/"; cat status.txt; ok=1; fi
done

if [ -n "$SHOTS" ]; then
  (cd "$SHOTS" && browse 1280,800 --screenshot="$SHOTS/status-1280x800.png" >/dev/null 2>&1 &&
     browse 390,844 --screenshot="$SHOTS/status-390x844.png" >/dev/null 2>&1) || fail "screenshot"
  echo "ok   screenshots in $SHOTS"
fi
[ $ok = 0 ] || { echo "--- rendered DOM"; head -c 20000 dom.html; echo; fail "the status page did not show what happened"; }
echo "PASS"
