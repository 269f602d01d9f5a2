#!/usr/bin/env bash
# Makes a Debian bookworm base image with no registry: debootstrap --variant=minbase from the
# Debian mirror apt already uses, imported with `podman import`. Idempotent: an existing image
# of that name is kept.
#   usage: deploy/container/base-image.sh [IMAGE]   (default localhost/mtls-sidecar-base:bookworm)
#   MTLS_DEBIAN_MIRROR=URL  the mirror (default: the first Debian URI of apt's sources)
set -euo pipefail
image=${1:-localhost/mtls-sidecar-base:bookworm}
here=$(cd "$(dirname "$0")" && pwd)
if "$here/podman.sh" image exists "$image"; then
  echo "base image $image exists"
  exit 0
fi
mirror=${MTLS_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # deb822 sources (URIs: ...) first, then one-line sources (deb URL suite ...).
  mirror=$(grep -hsE '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | head -n1)
  [ -n "$mirror" ] || mirror=$(grep -hsE '^deb .*/debian/? bookworm ' /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.list | awk '{print $2}' | head -n1)
fi
[ -n "$mirror" ] || { echo "base-image: no Debian mirror found; set MTLS_DEBIAN_MIRROR" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
echo "debootstrap --variant=minbase bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
  { tail -20 "$root.log"; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# Package lists and caches stay out of the image; apt-get update fetches them when needed.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
tar -C "$root" -c . | "$here/podman.sh" import --quiet \
  --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  - "$image" >/dev/null
echo "imported $image"
