#!/usr/bin/env bash
# build.sh [BUILD_DIR] [SANITIZE] - configures and builds everything into BUILD_DIR (default
# build/). SANITIZE: "" | address,undefined | thread.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
san=${2:-}
type=RelWithDebInfo
debug=()
# Sanitizer builds: -g1 (line tables) is all a sanitizer report needs for FILE:LINE in its stacks,
# and compiles each file ~17 % faster than -g (measured on tests/integration/admin_test.cpp, TSan).
[ -n "$san" ] && type=Debug && debug=(-DCMAKE_CXX_FLAGS_DEBUG=-g1)
# mtls-load (tests/bench) runs in no sanitizer test: the release tree alone builds it so it never
# rots, and the sanitizer trees skip its 6 files (~20 CPU s in the release tree).
bench=(-DMTLS_BUILD_BENCH=OFF)
[ -z "$san" ] && bench=(-DMTLS_BUILD_BENCH=ON)
# CI's release tree -g1 too (MTLS_CI=1): its binaries only run the tests and go stripped into the
# image, and -g1 cuts ~22 % of each file's compile CPU (9 files: 99 -> 77 s). Elsewhere the
# release tree keeps full -g for gdb (set explicitly, so a tree a CI rehearsal configured gets it
# back).
if [ -z "$san" ]; then
  g=-g
  [ "${MTLS_CI:-0}" = 1 ] && g=-g1
  debug=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 $g -DNDEBUG")
fi
# Tests ON whatever an earlier configure (scripts/demo.sh builds the binary alone) left in the cache.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DMTLS_SANITIZE="$san" -DMTLS_BUILD_TESTS=ON \
  "${debug[@]}" "${bench[@]}" "${launcher[@]}" >/dev/null
ninja -C "$dir" -j"$(nproc)"
