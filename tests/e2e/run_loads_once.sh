#!/usr/bin/env bash
# `run` loads its identity once at start-up. check-config loads and validates everything; run
# checks only modes before the sandbox and lets Sidecar's first load report problems (at the same
# FILE:LINE:COL, see check_config_agrees.sh). A second load would, with local_ca, decrypt
# ca.key again (scrypt, ~100 ms of CPU) and issue a leaf nobody serves. Counted with strace: the
# opens of ca.key by run are check-config's one load plus the file watcher's fingerprint.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: run_loads_once.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
command -v strace >/dev/null || { echo "SKIP: strace is not installed (scripts/deps.sh)"; exit 77; }
strace -f -qq -e trace=none true 2>/dev/null || { echo "SKIP: ptrace is not permitted here"; exit 77; }
e2e_init
read -r IN FWD ADMIN < <(free_ports 3)
cd "$W"

"$BIN" ca init --dir ca --trust-domain demo.local >/dev/null
cat >lca.yaml <<Y
admin: { listen: 127.0.0.1:$ADMIN }
workers: 1
identity:
  source: local_ca
  local_ca: { dir: ca, spiffe_id: "spiffe://demo.local/ns/default/sa/orders" }
trust: { ca_bundle: ca/ca.crt }
inbound:
  - name: orders
    listen: 127.0.0.1:$IN
    forward: 127.0.0.1:$FWD
    allow: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/web"] }
limits: { drain_delay: 0s }
Y
opens() { grep -c 'openat(.*ca/ca\.key", O_RDONLY.*= [0-9]' "$1" || true; }

# LeakSanitizer cannot run under ptrace (it aborts): in an ASan build the traced runs check no
# leaks; the same commands run leak-checked in the other e2e tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
strace -f -qq -e trace=openat -o check.trace "$BIN" check-config --config lca.yaml >/dev/null
strace -f -qq -e trace=openat -o run.trace "$BIN" run --config lca.yaml >run.log 2>&1 & STRACE=$!
# strace detaches from the sidecar when it is killed: stop the sidecar itself (strace then ends).
before_stop() { pkill -TERM -P "$STRACE" 2>/dev/null || true; }
PIDS+=("$STRACE")
up "$IN" 200 || fail "run lca.yaml did not start: $(cat run.log)"
grep -q "local CA: next renewal" run.log || fail "run lca.yaml did not schedule its renewal"
CHECK=$(opens check.trace)
RUN=$(opens run.trace)
[ "$CHECK" -ge 1 ] || fail "check-config did not open ca/ca.key: the count proves nothing"
[ "$RUN" -eq $((CHECK + 1)) ] ||
  fail "run opened ca/ca.key $RUN times at start-up, check-config $CHECK: want one load (+1 fingerprint)"
echo "ok   run opens ca.key $RUN times (check-config $CHECK, +1 for the watcher's fingerprint)"
