# lib.sh - sourced by the e2e scripts: the helpers they had as copies. Functions only, nothing runs
# on sourcing. The state they use, W (the work directory), PIDS (every process started) and FAILED
# (for score), is set up by e2e_init or by the caller.
# shellcheck shell=bash

# e2e_init: a fresh W, PIDS=(), FAILED=0, and an EXIT trap that runs the caller's before_stop (if
# it defines one, e.g. to close a descriptor holding a connection the sidecar would drain), stops
# every PID and removes W.
e2e_init() {
  W=$(mktemp -d)
  PIDS=()
  FAILED=0
  trap e2e_cleanup EXIT
}
e2e_cleanup() {
  if declare -F before_stop >/dev/null; then before_stop; fi
  stop_pids
  rm -rf "$W"
}

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

# up PORT [TRIES]: wait up to TRIES x 50 ms (default ~5 s) until something accepts on 127.0.0.1:PORT.
up() { for _ in $(seq "${2:-100}"); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# nfds PID: how many descriptors the process has open.
nfds() { ls "/proc/$1/fd" | wc -l; }

# free_ports N: N distinct free loopback ports on one line (all bound at once, then released).
free_ports() {
  python3 -c 'import socket, sys; ss=[socket.socket() for _ in range(int(sys.argv[1]))]; [s.bind(("127.0.0.1",0)) for s in ss]; print(*[s.getsockname()[1] for s in ss])' "$1"
}
