#!/usr/bin/env bash
# run.sh [SECONDS] - runs every libFuzzer target for SECONDS (default 30) of wall time each, as
# many at a time as there are cores (CI: 6 targets x 20 s, 3 rounds of 2), after building
# them (build.sh). Prints per target: executions, coverage, CPU seconds, findings; then one
# `SCORE fuzz.<target> ...` line each for tests/reliability/scorecard.sh. Exit 1 on any finding.
#
# Longer run (documented in README.md): tests/fuzz/run.sh 1800   (30 min per target)
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_TARGETS (default all), FUZZ_JOBS (build
# parallelism, default 2), FUZZ_PARALLEL (targets at a time, default nproc), FUZZ_SKIP_BUILD=1 to
# use the binaries as they are.
#
# Corpora: the committed seeds (tests/fuzz/corpus/<target>, read only) plus, for private_key,
# keys made now by make_key_seeds.sh; what the fuzzer discovers goes to
# $FUZZ_BUILD_DIR/fuzz-corpus/<target> and is reused next time. Findings (crash-*, leak-*,
# timeout-*, oom-*) land in $FUZZ_BUILD_DIR/fuzz-findings/; minimize one with
#   $FUZZ_BUILD_DIR/tests/fuzz/fuzz_<target> -minimize_crash=1 -runs=100000 FILE
# and commit the minimized input to tests/fuzz/corpus/<target>/ as a regression seed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-30}
B=${FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=${FUZZ_TARGETS:-config_load config_values pem_text cert_identity private_key http_request}

mkdir -p "$B/fuzz-corpus" "$B/fuzz-findings" "$B/fuzz-logs" "$B/fuzz-seeds"
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
  "$here/build.sh" "$B" >"$B/fuzz-logs/build.log" 2>&1 ||
    { tail -n 30 "$B/fuzz-logs/build.log"; echo "FAIL: fuzz build"; exit 1; }
fi
rm -rf "$B/fuzz-seeds/private_key"
"$here/make_key_seeds.sh" "$B/fuzz-seeds/private_key" >/dev/null

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

max_len() { case $1 in config_values) echo 512 ;; cert_identity | private_key) echo 4096 ;; *) echo 8192 ;; esac; }
dict() {
  case $1 in
    config_load) echo "-dict=$here/dict/config.dict" ;;
    pem_text) echo "-dict=$here/dict/pem.dict" ;;
  esac
}

# FUZZ_PARALLEL targets at a time (default: the CPU count). A libFuzzer process is
# single-threaded and stops after $seconds of wall time, so on a machine with that many cores each
# target still gets its $seconds of one core (the CPU seconds column shows it), in a fraction of
# the wall time of one after the other.
parallel=${FUZZ_PARALLEL:-$(nproc)}
fuzz_one() {
  local t=$1 bin=$B/tests/fuzz/fuzz_$1 work=$B/fuzz-corpus/$1
  mkdir -p "$work"
  local seeds=("$here/corpus/$t")
  [ "$t" = private_key ] && seeds+=("$B/fuzz-seeds/private_key")
  [ "$t" = pem_text ] && seeds+=("$B/fuzz-seeds/private_key")  # keys as PEM text too
  # CPU seconds (user + system) from bash's own `time`: no dependency on GNU time.
  TIMEFORMAT='%3U %3S'
  # shellcheck disable=SC2046
  { time "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$(max_len "$t")" $(dict "$t") -print_final_stats=1 \
      -artifact_prefix="$B/fuzz-findings/$t-" "$work" "${seeds[@]}" >"$B/fuzz-logs/$t.log" 2>&1; } \
    2>"$B/fuzz-logs/$t.time"
  echo $? >"$B/fuzz-logs/$t.rc"
}

total_cpu=0
failed=0
scores=()
declare -A before
running=0
for t in $targets; do
  [ -x "$B/tests/fuzz/fuzz_$t" ] || continue
  # Findings are named after their target, so counting them per target is safe in parallel.
  before[$t]=$(ls "$B/fuzz-findings" | grep -c "^$t-" || true)
  rm -f "$B/fuzz-logs/$t.rc"
  fuzz_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

printf '%-14s %12s %8s %9s %8s  %s\n' target executions cov cpu_s exit findings
for t in $targets; do
  [ -x "$B/tests/fuzz/fuzz_$t" ] || { echo "missing $B/tests/fuzz/fuzz_$t"; failed=1; continue; }
  log=$B/fuzz-logs/$t.log
  rc=$(cat "$B/fuzz-logs/$t.rc" 2>/dev/null || echo 1)
  cpu=$(tail -n 1 "$B/fuzz-logs/$t.time" 2>/dev/null | awk '{printf "%.1f", $1 + $2}')
  cpu=${cpu:-0}
  total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN{printf "%.1f", a + b}')
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  after=$(ls "$B/fuzz-findings" | grep -c "^$t-" || true)
  new=$((after - ${before[$t]}))
  findings=$(ls -t "$B/fuzz-findings" | grep "^$t-" | head -n "$new" | tr '\n' ' ')
  verdict=pass
  if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
    verdict=fail
    failed=1
    grep -m 3 -E 'ERROR: |FUZZ CONTRACT|runtime error|SUMMARY' "$log" | sed 's/^/    /'
  fi
  printf '%-14s %12s %8s %9s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "$cpu" "$rc" "${findings:-none}"
  scores+=("SCORE fuzz.$t ${execs:-0}execs/${cpu}cpu-s $verdict no crash, leak, UB, timeout or OOM in ${seconds}s of libFuzzer+ASan+UBSan")
done
# Known open findings (KNOWN.md): replayed with FUZZ_STRICT=1, the targets' skips off. A finding
# that no longer reproduces is reported fixed: move its input to corpus/<target>/ as a regression
# seed, drop its skip from known_issues.hpp and its entry from KNOWN.md.
open_ids=()
for t in $targets; do
  for f in "$here/known/$t"/*; do
    [ -f "$f" ] || continue
    FUZZ_STRICT=1 timeout 60 "$B/tests/fuzz/fuzz_$t" -timeout=5 -rss_limit_mb=1024 \
      -artifact_prefix="$B/fuzz-logs/known-" "$f" >"$B/fuzz-logs/known-$t-$(basename "$f").log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
      echo "KNOWN-FIXED $t/$(basename "$f"): no longer reproduces (see the comment above)"
    else
      echo "KNOWN-OPEN  $t/$(basename "$f"): still fails (exit $rc), see tests/fuzz/KNOWN.md"
      open_ids+=("$t/$(basename "$f")")
    fi
  done
done
known_verdict=pass
[ ${#open_ids[@]} -gt 0 ] && known_verdict=fail
scores+=("SCORE fuzz.known_open ${#open_ids[@]}-open $known_verdict no open finding in tests/fuzz/KNOWN.md (replayed with FUZZ_STRICT=1)")

echo "total CPU: ${total_cpu} s ($(awk -v c="$total_cpu" 'BEGIN{printf "%.1f", c / 60}') CPU-minutes); logs: $B/fuzz-logs"
printf '%s\n' "${scores[@]}"
exit "$failed"
