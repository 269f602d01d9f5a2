#!/usr/bin/env bash
# seccomp_trace.sh PATH/TO/mtls-sidecar SCRIPT... - measures the system calls `run` makes once its
# seccomp filter is in (the allow-list of proxy/sidecar/seccomp.cpp). Runs each e2e SCRIPT (any
# script taking the binary as its first argument: tests/e2e/*.sh, the contract check) with a
# stand-in binary that runs `run` under `strace -f -tt`; then prints every call entered after the
# filter went in (the seccomp(2) call; for a binary without one, the "ready" log line or the first
# accept), with counts, and any call the filter denied. The scripts' own verdicts are printed but do not stop the measurement.
# Example: scripts/seccomp_trace.sh build/proxy/mtls-sidecar tests/e2e/seccomp_run.sh \
#            tests/e2e/pkcs11_sandbox.sh tests/e2e/http_websocket.sh "tests/e2e/soak.sh 15"
set -uo pipefail
BIN=$(readlink -f "${1:?usage: seccomp_trace.sh PATH/TO/mtls-sidecar SCRIPT...}")
shift
command -v strace >/dev/null || { echo "strace is not installed (scripts/deps.sh)"; exit 1; }
OUT=$(mktemp -d)
# SECCOMP_TRACE_KEEP=1 keeps the traces (their directory is printed).
trap '[ -n "${SECCOMP_TRACE_KEEP:-}" ] && echo "traces in $OUT" || rm -rf "$OUT"' EXIT
# The stand-in attaches strace to itself, then becomes `run` (exec): the PID the script started,
# its signals and its /proc/PID are the sidecar's own.
cat >"$OUT/bin" <<EOF
#!/usr/bin/env bash
[ "\$1" = run ] || exec "$BIN" "\$@"
strace -f -qq -tt -s 96 -o "$OUT/trace.\$\$" -p \$\$ &
for _ in \$(seq 500); do
  [ "\$(awk '/^TracerPid:/ { print \$2 }' /proc/\$\$/status)" != 0 ] && break; sleep 0.01
done
exec "$BIN" "\$@"
EOF
chmod +x "$OUT/bin"
for script in "$@"; do
  read -r -a cmd <<<"$script"
  echo "== ${cmd[*]}"
  "${cmd[0]}" "$OUT/bin" "${cmd[@]:1}" 2>&1 | grep -E '^(ok|FAIL|SKIP|SCORE)' | cut -c1-160
done
python3 - "$OUT"/trace.* <<'EOF'
import collections, re, sys
entry = re.compile(r'^\d+ [\d:.]+ ([a-z_0-9]+)\(')
# libseccomp probes the kernel with failing seccomp() calls first; the load is the one that worked
markers = [re.compile(r'seccomp\(SECCOMP_SET_MODE_FILTER, .*\) = 0$'),
           re.compile(r'write\(2, ".* info  (ready|started; not ready)'),
           re.compile(r' accept4?\(')]
calls, denied = collections.Counter(), collections.Counter()
for path in sys.argv[1:]:
    lines = open(path, errors='replace').read().splitlines()
    start = next((i for m in markers for i, l in enumerate(lines) if m.search(l)), None)
    if start is None:
        print(f"{path}: no marker (did run start?)", file=sys.stderr)
        continue
    for line in lines[start + 1:]:
        m = entry.match(line)
        if m:
            calls[m.group(1)] += 1
        if 'SIGSYS' in line:
            d = re.search(r'si_syscall=(?:__NR_)?(\w+)', line)
            denied[d.group(1) if d else line] += 1
print(f"{len(calls)} calls after the filter (name count):")
for name, n in sorted(calls.items()):
    print(f"  {name} {n}")
if denied:
    print("DENIED:", ", ".join(f"{k} {v}" for k, v in sorted(denied.items())))
EOF
