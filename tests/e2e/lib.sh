# lib.sh - sourced by emfile.sh, idle_memory.sh, readme_pair.sh and tls_scan.sh: the helpers they
# had as identical copies. Functions only, nothing runs on sourcing; the caller owns the state they
# use: W (its work directory), PIDS (every process it started), FAILED=0 (for score).
# shellcheck shell=bash

# Kill every PID in PIDS and reap them; for the caller's EXIT trap.
stop_pids() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# Print the message and the last lines of every log in $W, then exit 1.
fail() { echo "FAIL: $*"; for f in "$W"/*.log; do echo "--- $f"; tail -n 5 "$f"; done; exit 1; }

# score NAME VALUE pass|fail TEXT...: one SCORE line (tests/reliability/scorecard.py reads them);
# a fail verdict sets FAILED=1.
# shellcheck disable=SC2034  # FAILED is the caller's
score() { local n=$1 f=$2 v=$3; shift 3; echo "SCORE $n $f $v $*"; [ "$v" = pass ] || FAILED=1; }

# up PORT: wait up to ~5 s until something accepts on 127.0.0.1:PORT.
up() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# nfds PID: how many descriptors the process has open.
nfds() { ls "/proc/$1/fd" | wc -l; }

# free_ports N: N distinct free loopback ports on one line (all bound at once, then released).
free_ports() {
  python3 -c 'import socket, sys; ss=[socket.socket() for _ in range(int(sys.argv[1]))]; [s.bind(("127.0.0.1",0)) for s in ss]; print(*[s.getsockname()[1] for s in ss])' "$1"
}
