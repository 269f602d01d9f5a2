#!/usr/bin/env bash
# demo_netns.sh PATH/TO/mtls-sidecar - `mtls-sidecar demo --netns`, the demo across network
# namespaces: it refuses in one line (exit 2) without root or without tcpdump; as root it tells
# the whole story in under 20 s (the request answered through the pair, the attacker refused,
# the capture holding TLS handshakes and not the card number); and it leaves no namespace,
# process or file behind, whether it ends by itself or by a Ctrl-C half-way.
# Needs root, ip, tcpdump, setpriv: exits 77 without them (1 under MTLS_CI=1).
set -euo pipefail
BIN=$(readlink -f "${1:?usage: demo_netns.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"

missing=""
[ "$(id -u)" = 0 ] || missing="root"
for tool in ip tcpdump setpriv; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
if [ -n "$missing" ]; then
  echo "demo_netns: missing:$missing"
  [ "${MTLS_CI:-0}" = 1 ] && exit 1
  exit 77
fi
e2e_init
chmod 0755 "$W"

# --- refusals: one line on stderr, exit 2, nothing created -------------------------------------
rc=0
setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN" demo --netns >"$W/out" 2>"$W/err" || rc=$?
[ $rc = 2 ] || fail "as nobody: exit $rc, want 2"
[ "$(wc -l <"$W/err")" = 1 ] && grep -q "needs root" "$W/err" && [ ! -s "$W/out" ] ||
  fail "as nobody: want one line saying it needs root, got: $(cat "$W/err" "$W/out")"
mkdir "$W/bin" && ln -s "$(command -v ip)" "$W/bin/ip"
rc=0
PATH="$W/bin" "$BIN" demo --netns >"$W/out" 2>"$W/err" || rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$W/err")" = 1 ] && grep -q "needs tcpdump" "$W/err" ||
  fail "without tcpdump: exit $rc, want 2 and one line naming tcpdump: $(cat "$W/err")"
echo "ok   refusals: not root, no tcpdump: one line each, exit 2"

# --- the story, start to end ------------------------------------------------------------------
start=$(date +%s%N)
rc=0
"$BIN" demo --netns >"$W/demo.out" 2>&1 &
demo=$!
wait $demo || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
cat "$W/demo.out"
[ $rc = 0 ] || fail "demo --netns exited $rc"
[ $ms -lt 20000 ] || fail "demo --netns took $ms ms, want < 20 s"
for want in 'reply    HTTP/1.1 200 OK' 'reason="unknown_ca"} 1' 'reason="plaintext"} 1' \
  '"card=4111-1111-1111-1111" in 0 packets; the attacker'"'"'s plaintext (the control) in 1' \
  'all 4 steps behaved as expected'; do
  grep -qF "$want" "$W/demo.out" || fail "demo --netns did not print: $want"
done
grep -qE 'between A and B, [1-9][0-9]* TLS handshake records, [1-9][0-9]* with TLS application data' \
  "$W/demo.out" || fail "demo --netns saw no TLS handshake or application data on the bridge"
dir=$(sed -n 's/.*capture are in \([^;]*\);.*/\1/p' "$W/demo.out")
[ -n "$dir" ] || fail "demo --netns did not name its directory"
[ ! -e "$dir" ] || fail "demo --netns left $dir behind"
if ip netns list | grep -q -- "-$demo\b"; then fail "demo --netns left namespaces: $(ip netns list)"; fi
echo "ok   demo --netns: 4 steps in $ms ms, nothing left behind"

# --- Ctrl-C half-way: SIGINT to its process group, as a terminal sends it ----------------------
set -m  # the demo gets a process group of its own, with SIGINT not ignored
"$BIN" demo --netns >"$W/interrupted.out" 2>&1 &
demo=$!
set +m
# B's sidecar is the process in B's namespace run with --config DIR/b.yaml (short-lived helper
# processes may come and go in the namespace meanwhile: a pid may vanish before it is read).
dir=""
for _ in $(seq 200); do
  for p in $(ip netns pids "mtls-demo-b-$demo" 2>/dev/null || true); do
    dir=$(tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline" | sed -n 's|/b.yaml$||p' || true)
    [ -n "$dir" ] && break
  done
  [ -n "$dir" ] && break
  sleep 0.05
done
[ -n "$dir" ] || fail "the interrupted demo never started B's sidecar: $(cat "$W/interrupted.out")"
inside=$(ip netns pids "mtls-demo-b-$demo" 2>/dev/null || true)
kill -INT -- "-$demo"
wait $demo || true
gone=0
for _ in $(seq 100); do
  if ! ip netns list | grep -q -- "-$demo\b" && [ ! -e "$dir" ]; then gone=1; break; fi
  sleep 0.05
done
[ $gone = 1 ] || fail "after Ctrl-C: namespaces $(ip netns list | grep -- "-$demo\b" | tr '\n' ' ') dir $(ls -d "$dir" 2>/dev/null)"
for p in $inside; do
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$p" 2>/dev/null; then fail "after Ctrl-C: process $p of B's namespace still runs"; fi
done
echo "ok   Ctrl-C half-way: namespaces, $dir and the processes in B are gone"
echo "demo_netns: 3 passed, 0 failed"
