#!/usr/bin/env bash
# readme_pair.sh PATH/TO/mtls-sidecar - the README's "Running it for real" section runs as
# written: its sh blocks are extracted and run in order in one bash (ca init and issue, the
# configs written with cat, check-config, the app and both sidecars, curl through the pair,
# s_client refused, the stop step), with a few checks of ours between the last two blocks (the
# inbound sends its leaf only, SIGHUP reloads). Then config/example.yaml runs as shipped in the
# same directory. Loopback only (example.yaml listens on 0.0.0.0 but nothing connects there).
set -euo pipefail
BIN=$(readlink -f "${1:?usage: readme_pair.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/lib.sh"
e2e_init
cd "$W"
mkdir bin && ln -s "$BIN" bin/mtls-sidecar

# The section's ```sh blocks, in order, one file each.
python3 - "$ROOT/README.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("\n## Running it for real\n", 1)[1].split("\n## ", 1)[0]
blocks = re.findall(r"^```sh\n(.*?)^```$", section, re.S | re.M)
assert len(blocks) == 4, f"expected 4 sh blocks (CA, configs, run, stop), found {len(blocks)}"
for i, block in enumerate(blocks, 1):
    open(f"block{i}.sh", "w").write(block)
PY

# Our checks, in the README's shell (its jobs: %1 the app, %2 inbound, %3 outbound).
cat >checks.sh <<'EOF2'
sent=$(openssl s_client -connect 127.0.0.1:18443 -CAfile trust/ca.crt -cert web/tls.crt -key web/tls.key \
  -showcerts </dev/null 2>/dev/null | grep -c "BEGIN CERTIFICATE")
echo "CHECK leaf-only sent=$sent"
kill -HUP %2
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:19901/metrics | grep -q 'mtls_certificate_reloads_total{.*result="success".*} 2' && break
  sleep 0.05
done
echo "CHECK reloads=$(curl -sf http://127.0.0.1:19901/metrics | grep -c 'mtls_certificate_reloads_total{.*result="success".*} 2')"
echo "CHECK after-reload=$(curl -s http://127.0.0.1:15101/)"
EOF2
{
  echo 'trap "kill \$(jobs -p) 2>/dev/null" EXIT; trap "exit 1" TERM INT'
  cat block1.sh block2.sh block3.sh checks.sh block4.sh
} >walk.sh
PATH="$W/bin:$PATH" timeout 90 bash walk.sh >walk.out 2>&1 || fail "the walk-through failed: $(tail -n 20 walk.out; tail -n 5 mtls-demo/*.log)"
want() { grep -qxF -- "$1" walk.out || fail "the walk-through did not print: $1; it printed: $(cat walk.out)"; }
want "inbound.yaml: ok (1 inbound, 0 outbound listeners)"
want "outbound.yaml: ok (0 inbound, 1 outbound listeners)"
want "hello through mTLS"
echo "ok   check-config accepts both configs; curl through outbound -> inbound -> app"
grep -E "alert.*certificate required" walk.out >/dev/null || fail "s_client without a certificate was not refused: $(cat walk.out)"
echo "ok   openssl s_client without a client certificate refused (certificate required)"
want "CHECK leaf-only sent=1"
echo "ok   the inbound sends its leaf only, not the root it was issued with (SSL_MODE_NO_AUTO_CHAIN)"
want "CHECK reloads=1"
want "CHECK after-reload=hello through mTLS"
echo "ok   SIGHUP reloads and traffic keeps flowing"
D=$W/mtls-demo
for side in inbound outbound; do
  grep -q "stopped" "$D/$side.log" || fail "$side did not stop cleanly: $(tail -n 5 "$D/$side.log")"
done
echo "ok   the stop step drains and stops both sidecars"
for dir in orders web trust; do
  [ -e "$D/$dir/ca.key" ] && fail "$dir/ holds ca.key: a sidecar reading $dir/ could mint identities"
done
echo "ok   ca.key is in no directory a sidecar reads"

# config/example.yaml, as shipped, from the walk-through's directory (its ca/ from step 1).
cp "$ROOT/config/example.yaml" "$D/example.yaml"
# Its trust.domains names a partner's root: made as the comment beside it says.
(cd "$D" && "$BIN" ca init --dir partner --trust-domain partner.example >/dev/null && cp partner/ca.crt partner-ca.pem)
cd "$D"
"$BIN" check-config --config example.yaml >/dev/null 2>check.err || fail "check-config example.yaml: $(cat check.err)"
"$BIN" run --config example.yaml >example.log 2>&1 & EX=$!; PIDS+=($EX)
for _ in $(seq 100); do curl -sfo /dev/null http://127.0.0.1:9901/ready && break; sleep 0.05; done
curl -sfo /dev/null http://127.0.0.1:9901/ready || fail "example.yaml is not ready: $(tail -n 5 example.log)"
kill -TERM "$EX"   # drains; a second SIGTERM then skips the 5 s drain_delay
for _ in $(seq 100); do grep -q "draining" example.log && break; sleep 0.05; done
kill -TERM "$EX"
wait "$EX" || fail "example.yaml exited non-zero: $(tail -n 5 example.log)"
echo "ok   config/example.yaml runs as shipped after the walk-through's ca init"
