#!/usr/bin/env bash
# cpuprofile.sh - where one proxy pair's CPU time goes, per MB (bulk) or per exchange, by sampling
# (perf record -e cpu-clock: this VM has no hardware counters, but the clock event works). Unlike
# callgrind (profile.sh) it sees the kernel, so it can say how much of the cost is the socket copy
# and TCP (the same for every proxy) and how much is user space: AES-GCM, the rest of OpenSSL,
# memcpy, the allocator, the proxy's own code.
# Usage: cpuprofile.sh [--system mtls-sidecar|haproxy|nginx-stream|plain-pair] [--mode bulk|keepalive|handshake]
#                      [--duration 10] [--out FILE]
#   Both proxies are sampled at 1999 Hz while mtls-load --plain drives the chain (4 connections in
#   bulk, 16 otherwise). Prints µs per unit by bucket and side, and the top symbols.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SYSTEM=mtls-sidecar MODE=bulk DURATION=10 OUTFILE=""
while [ $# -gt 0 ]; do
  case $1 in
    --system) SYSTEM=$2; shift ;;
    --mode) MODE=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --out) OUTFILE=$2; shift ;;
    *) sed -n '2,11p' "$0"; exit 2 ;;
  esac
  shift
done
command -v perf >/dev/null || { echo "cpuprofile.sh: perf missing (apt-get install linux-perf)" >&2; exit 77; }
source "$HERE/bench_lib.sh"
bl_setup cpuprofile
PERFS=()
trap 'for p in "${PERFS[@]}"; do kill -INT "$p" 2>/dev/null; done; bl_cleanup; rm -rf "$W"' EXIT
bl_pair "$SYSTEM" || { echo "pair failed" >&2; exit 1; }
conns=16; [ "$MODE" = bulk ] && conns=4
"$LOAD" --target "127.0.0.1:$BL_OUT_PORT" --plain --mode "$MODE" --conns $conns --duration 2s >/dev/null 2>&1
for side in out in; do
  pid=$BL_OUT_PID; [ $side = in ] && pid=$BL_IN_PID
  perf record -q -e cpu-clock -F 1999 -p "$pid" -o "$W/$side.data" >/dev/null 2>&1 &
  PERFS+=($!)
done
sleep 0.5
"$LOAD" --target "127.0.0.1:$BL_OUT_PORT" --plain --mode "$MODE" --conns $conns --duration "${DURATION}s" \
  --json "$W/load.json" >/dev/null 2>&1
kill -INT "${PERFS[@]}" 2>/dev/null; wait "${PERFS[@]}" 2>/dev/null; PERFS=()
for side in out in; do
  perf report -i "$W/$side.data" --no-children --sort dso,sym --stdio -F overhead,sample,dso,sym 2>/dev/null \
    >"$W/$side.txt"
done
python3 - "$W" "$SYSTEM" "$MODE" "$DURATION" <<'EOF' | tee ${OUTFILE:+"$OUTFILE"}
import json, re, subprocess, sys
w, system, mode, duration = sys.argv[1:]
load = json.load(open(f"{w}/load.json"))
units, unit = (load["bytes_in"] / 1e6, "MB") if mode == "bulk" else (load["requests"], "exchange")
hz = 1999.0
# libcrypto's AES-GCM assembly has no exported symbol (perf shows a bare address): look at the
# instructions around the address instead (AES-NI rounds, carry-less multiplies for GHASH).
_aes = {}
def aes_code(dso, sym):
    if not sym.startswith("0x"):
        return False
    base = int(sym, 16) & ~0xff
    if base not in _aes:
        lib = subprocess.run(["sh", "-c", f"ldconfig -p | grep -m1 '{dso} ' | sed 's/.*=> //'"],
                             capture_output=True, text=True).stdout.strip()
        asm = subprocess.run(["objdump", "-d", "--no-show-raw-insn", f"--start-address={base}",
                              f"--stop-address={base + 256}", lib], capture_output=True, text=True).stdout
        _aes[base] = bool(re.search(r"\b(v?aes(enc|dec)|v?pclmul)", asm))
    return _aes[base]
def bucket(dso, sym):
    if dso.startswith("[kernel"):
        if re.search(r"copy_user|copy_to_iter|copy_from_iter|copy_page|memcpy|memmove|rep_movs", sym):
            return "kernel: copy to/from user"
        return "kernel: TCP, epoll, scheduler, rest"
    if "libcrypto" in dso:
        if re.search(r"aesni|gcm|ghash|aes_|AES|clmul|_avx", sym, re.I) or aes_code(dso, sym):
            return "libcrypto: AES-GCM"
        return "libcrypto: other"
    if "libssl" in dso:
        return "libssl"
    if "libc" in dso:
        # cpu-clock samples taken in a system call land on its libc wrapper (the VM's clock
        # interrupt is delivered when the kernel re-enables interrupts on the way out)
        if re.search(r"^(__)?(libc_|GI___libc_)?(send|recv|read|write|epoll_wait|sendto|recvfrom|writev|readv|accept4?|close|shutdown|epoll_ctl|ioctl|setsockopt|socket|connect)(to|from)?$", sym):
            return "kernel: system calls (entry, exit: samples on libc's wrapper)"
        if re.search(r"mem(cpy|move|set)", sym):
            return "libc: memcpy/memmove"
        if re.search(r"malloc|free|_int_|calloc|realloc|tcache", sym):
            return "libc: allocator"
        return "libc: other"
    if "libstdc" in dso:
        return "libstdc++"
    return "the proxy's own code"
rows, tops = {}, {}
for side in ("out", "in"):
    acc = {}
    top = []
    for line in open(f"{w}/{side}.txt"):
        m = re.match(r"\s*([\d.]+)%\s+(\d+)\s+(\S+)\s+\[[.k]\]\s+(.*)$", line)
        if not m:
            continue
        n, dso, sym = int(m.group(2)), m.group(3), m.group(4).strip()
        b = bucket(dso, sym)
        acc[b] = acc.get(b, 0) + n
        top.append((n, dso, sym))
    rows[side] = acc
    tops[side] = sorted(top, reverse=True)[:25]
names = sorted({b for s in rows.values() for b in s}, key=lambda b: -sum(r.get(b, 0) for r in rows.values()))
print(f"# {system} {mode}: {units:.1f} {unit}s in {duration}s; perf record -e cpu-clock -F 1999 on both proxies")
print(f"| bucket | out µs/{unit} | in µs/{unit} | pair µs/{unit} |")
print("|---|---:|---:|---:|")
tot = {"out": 0, "in": 0}
for b in names:
    o, i = (rows[s].get(b, 0) / hz * 1e6 / units for s in ("out", "in"))
    tot["out"] += o; tot["in"] += i
    print(f"| {b} | {o:.1f} | {i:.1f} | {o + i:.1f} |")
print(f"| total sampled | {tot['out']:.1f} | {tot['in']:.1f} | {tot['out'] + tot['in']:.1f} |")
for side in ("out", "in"):
    print(f"\n## {side}: top symbols (samples, dso, symbol)")
    for n, dso, sym in tops[side]:
        print(f"  {n:7d}  {dso:28s} {sym}")
EOF
