#!/bin/sh
# mtls-redirect.sh: transparent interception for an app that cannot be pointed at its sidecar.
# Installs iptables nat REDIRECT rules in the app's network namespace (a pod, a task, a host):
#   inbound   peers' connections to the app's port go to the sidecar's inbound (mTLS) listener,
#             so nothing reaches the app in plaintext from outside; the sidecar forwards to
#             127.0.0.1:APP_PORT, which is not redirected;
#   outbound  the app's connections to DEST_IP:DEST_PORT (--outbound), or to any other host
#             (--outbound-all), go to the sidecar's outbound listener. Connections made by
#             SIDECAR_UID (the sidecar's own, to the peer) are never redirected: no loop.
# Rules live in chains of their own (MTLS_IN, MTLS_OUT), so --remove takes exactly them away.
# Run as root, or with CAP_NET_ADMIN (a Kubernetes init container; the sidecar itself needs none).
#
# usage: mtls-redirect.sh --sidecar-uid UID [--inbound APP_PORT:SIDECAR_PORT]...
#          [--outbound DEST_IP:DEST_PORT:SIDECAR_PORT]... [--outbound-all SIDECAR_PORT]
#        mtls-redirect.sh --remove
# Example (the sidecar runs as 65532; peers reach the app on :80; the app calls 198.18.0.2:80):
#   mtls-redirect.sh --sidecar-uid 65532 --inbound 80:8443 --outbound 198.18.0.2:80:15001
# An --outbound listener either forwards to that one destination's sidecar, or has
# `forward: original_dst` (required with --outbound-all, which leaves loopback alone): it reads
# where each connection was going and picks server_name/expect from its `destinations` map.
set -eu
IPT=${IPTABLES:-iptables}
uid=""
inbound=""
outbound=""
all=""
remove=0
usage() { sed -n '13,20p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --sidecar-uid) uid=${2:?}; shift 2 ;;
    --inbound) inbound="$inbound ${2:?}"; shift 2 ;;
    --outbound) outbound="$outbound ${2:?}"; shift 2 ;;
    --outbound-all) all=${2:?}; shift 2 ;;
    --remove) remove=1; shift ;;
    *) usage ;;
  esac
done

clear_chains() {
  for hook in PREROUTING:MTLS_IN OUTPUT:MTLS_OUT; do
    parent=${hook%%:*}; chain=${hook##*:}
    while $IPT -t nat -D "$parent" -p tcp -j "$chain" 2>/dev/null; do :; done
    $IPT -t nat -F "$chain" 2>/dev/null || true
    $IPT -t nat -X "$chain" 2>/dev/null || true
  done
}
clear_chains
[ $remove = 1 ] && { echo "mtls-redirect: rules removed"; exit 0; }
[ -n "$uid" ] || { echo "mtls-redirect: --sidecar-uid is required" >&2; usage; }
[ "$uid" != 0 ] || { echo "mtls-redirect: the sidecar must not run as root (uid 0 is whom the app runs as, often)" >&2; exit 2; }

$IPT -t nat -N MTLS_IN
$IPT -t nat -N MTLS_OUT
for rule in $inbound; do
  app=${rule%%:*}; side=${rule##*:}
  $IPT -t nat -A MTLS_IN -p tcp --dport "$app" -j REDIRECT --to-ports "$side"
  echo "mtls-redirect: inbound :$app -> sidecar :$side"
done
$IPT -t nat -A MTLS_OUT -m owner --uid-owner "$uid" -j RETURN
for rule in $outbound; do
  side=${rule##*:}; dest=${rule%:*}; ip=${dest%:*}; port=${dest##*:}
  $IPT -t nat -A MTLS_OUT -p tcp -d "$ip" --dport "$port" -j REDIRECT --to-ports "$side"
  echo "mtls-redirect: outbound $ip:$port -> sidecar :$side (uid $uid excluded)"
done
if [ -n "$all" ]; then
  # The app's own local connections (and the inbound sidecar's to the app) stay as they are.
  $IPT -t nat -A MTLS_OUT -o lo -j RETURN
  $IPT -t nat -A MTLS_OUT -d 127.0.0.0/8 -j RETURN
  $IPT -t nat -A MTLS_OUT -p tcp -j REDIRECT --to-ports "$all"
  echo "mtls-redirect: outbound to any other host -> sidecar :$all (uid $uid excluded)"
fi
$IPT -t nat -A PREROUTING -p tcp -j MTLS_IN
$IPT -t nat -A OUTPUT -p tcp -j MTLS_OUT
