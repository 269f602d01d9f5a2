#!/usr/bin/env bash
# build.sh [BUILD_DIR] - configures (once) and builds the libFuzzer targets with clang-14:
# a separate CMake build of the project with MTLS_FUZZ=ON (coverage + ASan + UBSan on every
# library), building only the fuzz targets and what they link. Default BUILD_DIR: build-fuzz.
# Parallelism: FUZZ_JOBS (default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/build-fuzz}
if [ ! -f "$dir/build.ninja" ]; then
  launcher=()  # as scripts/build.sh: ccache when the machine has it (CI's fresh one does not)
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMTLS_FUZZ=ON -DMTLS_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
fi
ninja -C "$dir" -j"${FUZZ_JOBS:-2}" fuzzers
