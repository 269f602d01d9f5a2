#!/usr/bin/env bash
# Quick start 1: install what is needed, build, run the in-transit encryption demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMTLS_BUILD_TESTS=OFF >/dev/null
ninja -C build -j"$(nproc)" mtls-sidecar
exec build/proxy/mtls-sidecar demo
