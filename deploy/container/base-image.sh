#!/usr/bin/env bash
# Makes a Debian bookworm base image with no registry: debootstrap --variant=minbase from the
# Debian mirror apt already uses, imported with `podman import`. Idempotent: an existing image
# of that name is kept.
#   usage: deploy/container/base-image.sh [IMAGE]
#   (default localhost/mtls-sidecar-base:bookworm-HASH); prints the image name on stdout, alone
#   MTLS_DEBIAN_MIRROR=URL  the mirror (default: the first Debian URI of apt's sources)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The default tag carries this script's hash, so a changed recipe makes a new base.
image=${1:-localhost/mtls-sidecar-base:bookworm-$(sha256sum "$0" | cut -c1-12)}
if "$here/podman.sh" image exists "$image"; then
  echo "base image $image exists" >&2
  echo "$image"
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
echo "debootstrap --variant=minbase bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
  { tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# Package lists and caches stay out of the image; apt-get update fetches them when needed.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
# As Debian's -slim images: no manuals, info pages or translations, now or from later installs;
# the copyright files stay.
cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/man/* "$root"/usr/share/groff/* "$root"/usr/share/info/* \
  "$root"/usr/share/lintian/*
find "$root/usr/share/locale" -mindepth 1 -not -name locale.alias -delete
tar -C "$root" -c . | "$here/podman.sh" import --quiet \
  --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  - "$image" >/dev/null
echo "imported $image" >&2
echo "$image"
