#!/usr/bin/env bash
# build.sh [BUILD_DIR] [SANITIZE] - configures and builds everything into BUILD_DIR (default
# build/). SANITIZE: "" | address,undefined | thread.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
san=${2:-}
type=RelWithDebInfo
[ -n "$san" ] && type=Debug
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DMTLS_SANITIZE="$san" >/dev/null
ninja -C "$dir" -j"$(nproc)"
