#!/usr/bin/env bash
# Quick start 2: install what is needed, build, run every test: the GoogleTest suites (unit and
# integration, real sockets and handshakes on 127.0.0.1), the contract check of DESIGN.md §5 on
# the built binary, and the deploy/ lint.
#   scripts/test.sh                         release build in build/
#   scripts/test.sh --sanitize address,undefined   (or thread) build in build-<san>/
set -euo pipefail
cd "$(dirname "$0")/.."
san=""
[ "${1:-}" = "--sanitize" ] && san=${2:?--sanitize needs address,undefined or thread}
scripts/deps.sh
dir=build
[ -n "$san" ] && dir=build-${san//,/-}
scripts/build.sh "$dir" "$san"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
# The reliability scripts (soak, idle memory, EMFILE, least privilege) measure the release
# binary's behaviour and take ~2 min; sanitizer runs cover the same code through the suites.
exclude=()
[ -n "$san" ] && exclude=(-LE reliability)
ctest --test-dir "$dir" --output-on-failure -j2 --timeout 600 "${exclude[@]}"
if [ -z "$san" ]; then
  # The shared original when this checkout sits beside it, else the vendored copy.
  contract=../shared/contract/check.sh
  [ -x "$contract" ] || contract=tests/e2e/contract/check.sh
  echo "contract check: $contract"
  "$contract" "$dir/proxy/mtls-sidecar"
  [ -x tests/e2e/deploy_lint.sh ] && tests/e2e/deploy_lint.sh
fi
echo "all tests passed ($dir)"
