#!/usr/bin/env bash
# container_image.sh PATH/TO/mtls-sidecar - the image, built and run with no registry: a bookworm
# base from the Debian mirror (deploy/container/base-image.sh: debootstrap + podman import), the
# runtime stage of deploy/container/Dockerfile.prebuilt around this binary (stripped), then, as
# uid 65532 on a read-only root with no capabilities and no network but loopback:
#   - `mtls-sidecar demo` passes in it;
#   - the image's user is 65532 and its root file system refuses writes;
#   - `mtls-sidecar run` with a local CA serves, and the image's HEALTHCHECK (`mtls-sidecar
#     probe`) passes; a probe of a missing path fails.
# Prints the image size. Needs root, podman, runc and debootstrap (scripts/deps.sh installs them
# in CI): exits 77 without them, except under MTLS_CI=1, where a missing tool fails.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: container_image.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/lib.sh"
podman=$ROOT/deploy/container/podman.sh
image=localhost/mtls-sidecar:e2e-$$
name=mtls-sidecar-e2e-$$

missing=""
[ "$(id -u)" = 0 ] || missing="root"
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
if [ -n "$missing" ]; then
  echo "container_image: missing:$missing (scripts/deps.sh installs them with MTLS_CI=1)"
  [ "${MTLS_CI:-0}" = 1 ] && exit 1
  exit 77
fi

e2e_init
# podman's chatter (no systemd for health-check timers here) goes to a log that fail() shows.
exec 2>>"$W/podman.log"
before_stop() {
  "$podman" rm -f "$name" >/dev/null 2>&1 || true
  "$podman" rmi -f "$image" >/dev/null 2>&1 || true
}
t0=$SECONDS
base=$("$ROOT/deploy/container/base-image.sh") || fail "no base image (base-image.sh failed)"
t_base=$((SECONDS - t0))

mkdir "$W/ctx"
install -m 0755 -s "$BIN" "$W/ctx/mtls-sidecar"
t0=$SECONDS
"$podman" build --network host --format docker --build-arg "BASE=$base" \
  -f "$ROOT/deploy/container/Dockerfile.prebuilt" -t "$image" "$W/ctx" >"$W/build.log" 2>&1 ||
  fail "podman build failed: $(tail -20 "$W/build.log")"
t_build=$((SECONDS - t0))
size=$("$podman" image inspect --format '{{.Size}}' "$image")
echo "ok   image built (base ${t_base}s, build ${t_build}s): $((size / 1024 / 1024)) MiB ($size bytes)"

user=$("$podman" image inspect --format '{{.Config.User}}' "$image")
[ "$user" = "65532:65532" ] || fail "image user is '$user', want 65532:65532"
health=$("$podman" image inspect --format '{{json .Config.Healthcheck}}' "$image")
echo "$health" | grep -q '"mtls-sidecar","probe"' || fail "image health check is $health"

# The hardening a deployment applies: non-root, read-only root, no capabilities, no privilege
# gain, loopback only.
hardened=(--read-only --cap-drop ALL --security-opt no-new-privileges --network none)
"$podman" run --rm "${hardened[@]}" "$image" demo >"$W/demo.log" 2>&1 ||
  fail "mtls-sidecar demo in the image failed: $(tail -20 "$W/demo.log")"
grep -q "all 5 steps behaved as expected" "$W/demo.log" || fail "demo output: $(tail -5 "$W/demo.log")"
echo "ok   mtls-sidecar demo passes in the image (non-root, read-only root, no capabilities)"

out=$("$podman" run --rm "${hardened[@]}" --entrypoint /bin/sh "$image" \
  -c 'id -u; touch /usr/local/bin/x 2>&1 || true')
echo "$out" | head -n1 | grep -qx 65532 || fail "the container runs as $(echo "$out" | head -n1)"
echo "$out" | grep -q "Read-only file system" || fail "the root file system took a write: $out"
echo "ok   runs as uid 65532; the root file system is read-only"

# A served sidecar and the image's own health check.
mkdir -m 0755 "$W/etc"
"$BIN" ca init --dir "$W/etc/ca" >/dev/null
cat >"$W/etc/sidecar.yaml" <<YAML
admin: { listen: "127.0.0.1:9901" }
identity: { source: local_ca, local_ca: { dir: ca, spiffe_id: "spiffe://demo.local/ns/default/sa/web" } }
inbound: [{ name: web, listen: "127.0.0.1:8443", forward: "127.0.0.1:8080", allow: { any: true } }]
YAML
chown -R 65532:65532 "$W/etc"
"$podman" run -d --name "$name" "${hardened[@]}" -v "$W/etc:/etc/mtls-sidecar:ro" "$image" >/dev/null
healthy=0
for _ in $(seq 100); do
  if "$podman" healthcheck run "$name" >"$W/health.log" 2>&1; then healthy=1; break; fi
  sleep 0.1
done
[ $healthy = 1 ] || fail "the HEALTHCHECK never passed: $(cat "$W/health.log"); $("$podman" logs "$name" 2>&1 | tail -5)"
if "$podman" exec "$name" mtls-sidecar probe http://127.0.0.1:9901/nope >"$W/probe.log" 2>&1; then
  fail "probe of a missing path passed"
fi
grep -q "404 Not Found" "$W/probe.log" || fail "probe of a missing path: $(cat "$W/probe.log")"
echo "ok   mtls-sidecar run serves in the image; its HEALTHCHECK (mtls-sidecar probe) passes"
"$podman" stop -t 15 "$name" >/dev/null
echo "container_image: 4 passed, 0 failed (image $((size / 1024 / 1024)) MiB)"
