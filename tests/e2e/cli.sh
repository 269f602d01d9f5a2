#!/usr/bin/env bash
# cli.sh PATH/TO/mtls-sidecar - the command line teaches: every command's --help lists each flag
# with its meaning and ends with an example; mistakes are usage errors (exit 2) that say what was
# wrong; `ca issue` never replaces a key silently and issues DNS-only certificates. No network.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: cli.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
e2e_init
cd "$W"

# expect RC PATTERN ARGS...: the command exits RC and its output (stdout+stderr) matches PATTERN.
expect() {
  local rc=$1 pattern=$2 got=0; shift 2
  "$BIN" "$@" >out.txt 2>&1 || got=$?
  [ "$got" = "$rc" ] || fail "mtls-sidecar $*: exit $got, want $rc: $(cat out.txt)"
  grep -qE -- "$pattern" out.txt || fail "mtls-sidecar $*: no /$pattern/ in: $(cat out.txt)"
}

# Every flag a command takes, as its help must list them.
declare -A FLAGS=(
  [run]="--config --log-level"
  [check-config]="--config --schema-only"
  [ca init]="--dir --trust-domain --passphrase-file --force"
  [ca issue]="--dir --spiffe-id --dns --out --ttl --passphrase-file --force"
  [kms-wrap]="--key-id --in --out --region --context --passphrase-file --force"
  [demo]="--log-level --netns"
  [status]="--admin"
  [probe]="--timeout --allow-remote"
  [version]=""
)
for cmd in "${!FLAGS[@]}"; do
  # shellcheck disable=SC2086  # cmd is two words for ca's subcommands
  "$BIN" $cmd --help >help.txt || fail "$cmd --help exits non-zero"
  for flag in ${FLAGS[$cmd]}; do
    grep -qE -- "^  $flag( |,|$)" help.txt || fail "$cmd --help does not list $flag"
  done
  tail -n 2 help.txt | grep -q "mtls-sidecar $cmd" || fail "$cmd --help does not end with an example"
done
grep -q "ttl DURATION=24h" <("$BIN" ca issue --help) || fail "ca issue --help does not show --ttl's default"
echo "ok   every command's --help lists its flags and ends with an example"

expect 2 'unknown subcommand "bogus"' ca bogus
expect 2 'unknown command "bogus"' bogus
expect 2 'not expected: --bogus' run --config x.yaml --bogus
expect 2 -- '--config is required' check-config
expect 2 -- '--log-level' run --config x.yaml --log-level loud
expect 2 -- '--ttl' ca issue --dir ca --dns a.local --out a --ttl 1.5h
expect 0 '^mtls-sidecar [0-9]' version
expect 2 'not a loopback address' probe http://192.0.2.1:9901/ready
expect 2 'only http://' probe https://127.0.0.1:9901/ready
expect 2 -- '--timeout' probe --timeout soon http://127.0.0.1:9901/ready
echo "ok   usage errors exit 2 and say what was wrong"

expect 0 'created CA' ca init --dir ca
expect 2 -- '--dns is required when --spiffe-id is left out' ca issue --dir ca --out web
expect 0 'issued web.local' ca issue --dir ca --dns web.local --out web
san=$(openssl x509 -in web/tls.crt -noout -ext subjectAltName)
echo "$san" | grep -q 'DNS:web.local' || fail "DNS-only certificate lacks its DNS SAN: $san"
echo "$san" | grep -q 'URI:' && fail "DNS-only certificate has a URI SAN: $san"
echo "ok   ca issue without --spiffe-id issues a DNS-only certificate"

before=$(sha256sum web/tls.key)
expect 1 'web/tls.crt: already exists; use --force' ca issue --dir ca --dns web.local --out web
[ "$(sha256sum web/tls.key)" = "$before" ] || fail "a refused ca issue changed web/tls.key"
expect 0 'issued' ca issue --dir ca --dns web.local --out web --force
[ "$(sha256sum web/tls.key)" != "$before" ] || fail "ca issue --force did not replace web/tls.key"
echo "ok   ca issue refuses to replace an existing --out without --force"

# probe against the real admin port: /ready of a running sidecar passes, a 404 and a stopped
# sidecar fail with the reason.
read -r admin inb <<<"$(free_ports 2)"
cat >probe.yaml <<YAML
admin: { listen: "127.0.0.1:$admin" }
identity: { source: local_ca, local_ca: { dir: ca, spiffe_id: "spiffe://demo.local/probe" } }
inbound: [{ name: web, listen: "127.0.0.1:$inb", forward: "127.0.0.1:9", allow: { any: true } }]
YAML
"$BIN" run --config probe.yaml >"$W/probe-sidecar.log" 2>&1 &
PIDS+=($!)
ready=0
for _ in $(seq 100); do
  if "$BIN" probe "http://127.0.0.1:$admin/ready" >out.txt 2>&1; then ready=1; break; fi
  sleep 0.05
done
[ $ready = 1 ] || fail "probe never saw /ready pass: $(cat out.txt)"
grep -q ": 200 OK$" out.txt || fail "probe printed: $(cat out.txt)"
expect 1 '/nope: 404 Not Found' probe "http://127.0.0.1:$admin/nope"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
expect 1 'connect: Connection refused' probe "http://localhost:$admin/healthz"
echo "ok   probe: 0 on a 2xx of the real admin port, 1 with the reason otherwise, 2 off loopback"

# The demo as the binary runs it (the integration tests link its code into another binary, which
# hid two different structs of one name in this one).
expect 0 'all [0-9]+ steps behaved as expected' demo
echo "ok   demo: every step behaves in the shipped binary"
