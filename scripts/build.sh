#!/usr/bin/env bash
# build.sh [BUILD_DIR] [SANITIZE] - configures and builds everything into BUILD_DIR (default
# build/). SANITIZE: "" | address,undefined | thread.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
san=${2:-}
type=RelWithDebInfo
[ -n "$san" ] && type=Debug
# Tests ON whatever an earlier configure (scripts/demo.sh builds the binary alone) left in the cache.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DMTLS_SANITIZE="$san" -DMTLS_BUILD_TESTS=ON \
  "${launcher[@]}" >/dev/null
ninja -C "$dir" -j"$(nproc)"
