#!/usr/bin/env bash
# Installs what building and testing mtls-sidecar needs on Debian bookworm (idempotent: only
# what is missing). Needs root, or sudo. Not libboost-dev: that is Boost 1.74 and conflicts.
set -euo pipefail
PACKAGES=(
  libboost1.81-dev libboost-json1.81-dev libssl-dev libyaml-cpp-dev prometheus-cpp-dev
  libcli11-dev libgtest-dev libgmock-dev cmake ninja-build g++ openssl curl python3 python3-cryptography
  python3-yaml python3-botocore prometheus clang-format awscli
)
# CI only (reliability stages): the TLS scanners and clang's libFuzzer.
[ "${MTLS_CI:-0}" = 1 ] && PACKAGES+=(testssl.sh sslscan clang-14 libclang-rt-14-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
