#!/usr/bin/env bash
# Installs what building and testing mtls-sidecar needs on Debian bookworm (idempotent: only
# what is missing). Needs root, or sudo. Not libboost-dev: that is Boost 1.74 and conflicts.
set -euo pipefail
PACKAGES=(
  libboost1.81-dev libboost-json1.81-dev libssl-dev libyaml-cpp-dev prometheus-cpp-dev
  libcli11-dev libgtest-dev libgmock-dev cmake ninja-build g++ openssl curl python3 python3-cryptography
  python3-yaml python3-botocore awscli python3-websockets prometheus clang-format chromium haproxy strace
  iproute2 iptables tcpdump util-linux softhsm2 opensc libengine-pkcs11-openssl
  libseccomp-dev pkg-config
)
# CI only (reliability stages): the TLS scanners and clang's libFuzzer; the image built with no
# registry (podman with runc, debootstrap for the base: tests/e2e/container_image.sh).
[ "${MTLS_CI:-0}" = 1 ] && PACKAGES+=(testssl.sh sslscan clang-14 libclang-rt-14-dev
                                      podman runc debootstrap)
# The io_uring experiment (tests/bench/uring, cmake -DMTLS_IO_URING_EXPERIMENT=ON): liburing 2.3.
[ "${MTLS_IO_URING_EXPERIMENT:-0}" = 1 ] && PACKAGES+=(liburing-dev)
# node and npm for the deploy/ schema check (tests/e2e/deploy_schema.sh); a node that is already
# installed (with its own npm) is used as it is.
command -v npm >/dev/null || PACKAGES+=(nodejs npm)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The schema models of the deploy/ check, exactly as pinned by its package-lock.json (npm ci),
# outside the work tree. .installed-lock.json is copied last, so an interrupted install is redone.
schema_src=$(cd "$(dirname "$0")/../tests/e2e/deploy_schema" && pwd)
schema_prefix=${MTLS_SCHEMA_PREFIX:-/usr/local/lib/mtls-sidecar-schema}
if ! cmp -s "$schema_src/package-lock.json" "$schema_prefix/.installed-lock.json"; then
  echo "installing the npm packages of tests/e2e/deploy_schema into $schema_prefix"
  $SUDO mkdir -p "$schema_prefix"
  $SUDO cp "$schema_src/package.json" "$schema_src/package-lock.json" "$schema_prefix/"
  (cd "$schema_prefix" && $SUDO npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  $SUDO cp "$schema_src/package-lock.json" "$schema_prefix/.installed-lock.json"
fi
