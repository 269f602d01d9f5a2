#!/usr/bin/env bash
# transparent_netns.sh PATH/TO/mtls-sidecar - two legacy services that know nothing of TLS, on two
# "hosts" (network namespaces joined by veth pairs through a bridge), secured without a change to
# either: deploy/transparent/mtls-redirect.sh redirects every connection the client makes to
# another host onto its sidecar's one outbound listener (`forward: original_dst`; the sidecar's own
# uid excluded), and B's ports 80 and 81 onto B's inbound mTLS listener. A tcpdump capture on the
# bridge shows what crosses between hosts:
#   - the request and the reply go through (the client gets B's answer to its marker);
#   - the capture holds TLS handshake records between A and B and never the plaintext marker;
#   - an attacker namespace gets nothing from B:80 in plaintext, nor with a certificate of another CA.
# Then: the destinations map applies per original destination (B:81's rule expects another
# identity, so A's sidecar refuses B there); B's certificate files are rotated while a transfer
# runs (the transfer loses nothing, new connections get the new serial); SIGTERM to B's sidecar
# lets a transfer in flight finish.
# Addresses: 198.18.0.0/24 only (RFC 2544 benchmarking range), in namespaces this test creates and
# deletes. Needs root, ip, iptables, tcpdump, setpriv, python3, openssl: exits 77 without them
# (1 under MTLS_CI=1, where scripts/deps.sh installs them).
set -euo pipefail
BIN=$(readlink -f "${1:?usage: transparent_netns.sh PATH/TO/mtls-sidecar}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/lib.sh"

missing=""
[ "$(id -u)" = 0 ] || missing="root"
for tool in ip iptables tcpdump setpriv python3 openssl; do
  command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  echo "transparent_netns: missing:$missing"
  [ "${MTLS_CI:-0}" = 1 ] && exit 1
  exit 77
fi

e2e_init
tag=$$
NS_A=mtls-a-$tag NS_B=mtls-b-$tag NS_X=mtls-x-$tag NS_BR=mtls-br-$tag
A=198.18.0.1 B=198.18.0.2 X=198.18.0.3
SIDECAR_UID=47001   # the sidecars' uid: what the redirect rules exclude
before_stop() {
  stop_pids
  for ns in "$NS_A" "$NS_B" "$NS_X" "$NS_BR"; do ip netns del "$ns" 2>/dev/null || true; done
}
# Foreground only: a function run with & is a subshell, whose PID is not the process's. Background
# processes use `ip netns exec` directly (it execs, as does setpriv), so $! is the process itself.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# --- the network: three hosts on one bridge, in a namespace of its own --------------------------
ip netns add "$NS_BR"
in_ns "$NS_BR" ip link add br0 type bridge
in_ns "$NS_BR" ip link set br0 up
in_ns "$NS_BR" ip link set lo up
i=0
for pair in "$NS_A:$A" "$NS_B:$B" "$NS_X:$X"; do
  ns=${pair%%:*}; addr=${pair##*:}; i=$((i + 1))
  ip netns add "$ns"
  ip link add "veth$i-$tag" netns "$ns" type veth peer name "port$i" netns "$NS_BR"
  in_ns "$ns" ip link set "veth$i-$tag" name eth0
  in_ns "$ns" ip addr add "$addr/24" dev eth0
  in_ns "$ns" ip link set eth0 up
  in_ns "$ns" ip link set lo up
  in_ns "$NS_BR" ip link set "port$i" master br0
  in_ns "$NS_BR" ip link set "port$i" up
done

ip netns exec "$NS_BR" tcpdump -i br0 -n -U -s 0 -w "$W/bridge.pcap" tcp >"$W/tcpdump.log" 2>&1 &
tcpdump_pid=$!
PIDS+=("$tcpdump_pid")
for _ in $(seq 100); do grep -q "listening on br0" "$W/tcpdump.log" && break; sleep 0.05; done

# --- identities: one CA, a SPIFFE ID per host ---------------------------------------------------
"$BIN" ca init --dir "$W/ca" --trust-domain demo.local >/dev/null
"$BIN" ca init --dir "$W/rogue" --trust-domain demo.local >/dev/null
"$BIN" ca issue --dir "$W/rogue" --spiffe-id spiffe://demo.local/ns/a/sa/client --out "$W/rogue-leaf" >/dev/null
cp -r "$W/ca" "$W/ca-a"
# B's identity is files laid out as Kubernetes mounts a Secret: tls.crt -> ..data/tls.crt, and
# ..data a symlink swapped in one rename at each rotation.
issue_b() {  # VERSION -> the serial of B's new certificate
  "$BIN" ca issue --dir "$W/ca" --spiffe-id spiffe://demo.local/ns/b/sa/server \
    --out "$W/b-id/..$1" | sed -n 's/.* serial \([0-9A-Fa-f]*\) .*/\1/p'
}
mkdir -p "$W/b-id"
serial_b1=$(issue_b v1)
ln -s ..v1 "$W/b-id/..data"
ln -s ..data/tls.crt "$W/b-id/tls.crt"
ln -s ..data/tls.key "$W/b-id/tls.key"
[ -n "$serial_b1" ] || fail "ca issue printed no serial"
mkdir -p "$W/b-trust" && cp "$W/ca/ca.crt" "$W/b-trust/"   # the CA's directory holds its key
chown -R "$SIDECAR_UID:$SIDECAR_UID" "$W/ca-a" "$W/b-id" "$W/b-trust"
chmod 0755 "$W"

# --- host B: legacy server on :80, inbound sidecar; peers' :80 redirected to it ----------------
cat >"$W/legacy_server.py" <<'PY'
import socket, sys, threading, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80)); s.listen(16)
def serve(c):
    with c:
        data = c.recv(4096)
        if data.startswith(b"SLOW"):  # a long answer: 20 chunks, 0.1 s apart
            print("slow transfer started", data.decode(errors="replace"), flush=True)
            for i in range(20):
                c.sendall(b"chunk%02d;" % i)
                time.sleep(0.1)
        elif data:
            c.sendall(b"legacy-b saw: " + data)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
cat >"$W/b.yaml" <<YAML
admin: { listen: "127.0.0.1:9901" }
identity: { source: file, file: { cert: b-id/tls.crt, key: b-id/tls.key } }
trust: { ca_bundle: b-trust/ca.crt }
inbound:
  - { name: legacy-b, listen: "0.0.0.0:8443", forward: "127.0.0.1:80",
      allow: { spiffe_ids: ["spiffe://demo.local/ns/a/sa/client"] } }
limits: { drain_delay: 1s, drain_timeout: 20s }
YAML
ip netns exec "$NS_B" python3 -u "$W/legacy_server.py" >"$W/legacy-b.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_B" setpriv --reuid "$SIDECAR_UID" --regid "$SIDECAR_UID" --clear-groups \
  "$BIN" run --config "$W/b.yaml" >"$W/sidecar-b.log" 2>&1 &
sidecar_b=$!
PIDS+=("$sidecar_b")
in_ns "$NS_B" "$ROOT/deploy/transparent/mtls-redirect.sh" --sidecar-uid "$SIDECAR_UID" \
  --inbound 80:8443 --inbound 81:8443

# --- host A: one outbound sidecar listener for every redirected connection ---------------------
# B:80's rule expects B's identity; B:81's expects one B does not have, so A refuses it there.
cat >"$W/a.yaml" <<YAML
admin: { listen: "127.0.0.1:9901" }
identity: { source: local_ca, local_ca: { dir: ca-a, spiffe_id: "spiffe://demo.local/ns/a/sa/client" } }
outbound:
  - name: egress
    listen: "127.0.0.1:15001"
    forward: original_dst
    expect: { trust_domains: [demo.local] }
    destinations:
      - { match: "$B:80", expect: { spiffe_ids: ["spiffe://demo.local/ns/b/sa/server"] } }
      - { match: "$B:81", expect: { spiffe_ids: ["spiffe://demo.local/ns/b/sa/payments"] } }
limits: { drain_delay: 1s }       # the test's end stops it: no need to wait the default 5 s
YAML
ip netns exec "$NS_A" setpriv --reuid "$SIDECAR_UID" --regid "$SIDECAR_UID" --clear-groups \
  "$BIN" run --config "$W/a.yaml" >"$W/sidecar-a.log" 2>&1 &
PIDS+=($!)
in_ns "$NS_A" "$ROOT/deploy/transparent/mtls-redirect.sh" --sidecar-uid "$SIDECAR_UID" \
  --outbound-all 15001
for ns in "$NS_A" "$NS_B"; do
  ok=0
  for _ in $(seq 100); do
    if in_ns "$ns" "$BIN" probe http://127.0.0.1:9901/ready >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.05
  done
  [ $ok = 1 ] || fail "the sidecar in $ns never became ready"
done

# --- the legacy client, unchanged: plain TCP to B:80 ------------------------------------------
marker="LEGACY-PLAINTEXT-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
client() {  # NS DEST MESSAGE [PORT] -> what came back (empty on a refusal)
  in_ns "$1" python3 - "$2" "$3" "${4:-80}" <<'PY'
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[3])), timeout=5)
    c.sendall(sys.argv[2].encode())
    out = b""
    while True:
        d = c.recv(4096)
        if not d: break
        out += d
    print(out.decode(errors="replace"))
except OSError as e:
    print("")
PY
}
reply=$(client "$NS_A" "$B" "$marker")
[ "$reply" = "legacy-b saw: $marker" ] || fail "the legacy client got '$reply', want B's answer to its marker"
# ...and it went through A's sidecar, which logs each connection when it ends.
for _ in $(seq 100); do
  grep -q '"direction":"outbound".*"result":"ok"' "$W/sidecar-a.log" && break; sleep 0.05
done
grep -q '"direction":"outbound".*"peer":"spiffe://demo.local/ns/b/sa/server","result":"ok"' \
  "$W/sidecar-a.log" || fail "the client's connection did not go through A's sidecar to B's"
echo "ok   legacy client in A -> B:80 answered through both sidecars: '$reply'"

# --- the destinations map: B:81's rule expects an identity B does not have ---------------------
got=$(client "$NS_A" "$B" "TO-81" 81)
[ -z "$got" ] || fail "A's sidecar let B answer on :81 against that destination's expect: '$got'"
for _ in $(seq 100); do grep -q '"reason":"identity_denied"' "$W/sidecar-a.log" && break; sleep 0.05; done
grep -q '"direction":"outbound".*"peer":"spiffe://demo.local/ns/b/sa/server".*"reason":"identity_denied"' \
  "$W/sidecar-a.log" || fail "A's sidecar did not refuse B on :81 as identity_denied: $(tail -3 "$W/sidecar-a.log")"
echo "ok   original_dst: B:80 and B:81 through one listener, each with its own expect (B:81 refused)"

# --- a connection straight to A's outbound listener: conntrack (live in A, which has nat rules)
# reports the listener itself as the original destination; dialling it would loop.
got=$(in_ns "$NS_A" python3 - <<'PY'
import socket
try:  # the reset can come before connect() returns: loopback is that fast
    c = socket.create_connection(("127.0.0.1", 15001), timeout=5)
    c.sendall(b"LOOP?")
    print("got", c.recv(100))
except ConnectionResetError:
    print("reset")
PY
)
[ "$got" = reset ] || fail "a direct connection to A's original_dst listener got '$got', want a reset"
grep -q '"reason":"original_dst".*is the listener itself' "$W/sidecar-a.log" ||
  fail "A's sidecar did not refuse the direct connection as a loop: $(tail -2 "$W/sidecar-a.log")"
accepted=$(in_ns "$NS_A" python3 -c \
  'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9901/metrics").read().decode())' |
  awk '/^mtls_connections_total\{/ { n += $2 } END { print n + 0 }')
[ "$accepted" = 3 ] || fail "A's listener accepted $accepted connections, want 3 (B:80, B:81, the direct one): a loop?"
echo "ok   original_dst: a direct connection to the listener is reset, not dialled back into it"

# --- the attacker: plaintext to B:80, and a certificate of another CA --------------------------
attack="ATTACKER-PLAINTEXT-$tag"
got=$(client "$NS_X" "$B" "$attack")
[ -z "$got" ] || fail "a plaintext client in X got an answer from B:80: '$got'"
out=$(echo "ATTACKER-TLS" | in_ns "$NS_X" timeout 10 openssl s_client -connect "$B:80" -quiet \
  -cert "$W/rogue-leaf/tls.crt" -key "$W/rogue-leaf/tls.key" 2>&1 || true)
echo "$out" | grep -q "legacy-b saw" && fail "a foreign CA's certificate got through: $out"
echo "ok   attacker in X: plaintext to B:80 and a foreign CA's certificate get no answer"

# --- what crossed the bridge ---------------------------------------------------------------------
# tcpdump -U writes each packet once it has read it, but on a loaded machine it reads late, and
# packets still in its buffer when it is killed are lost. The attacker's plaintext crossed the
# bridge last: once the file holds it, every earlier packet is in the file too.
for _ in $(seq 100); do grep -aqF "$attack" "$W/bridge.pcap" && break; sleep 0.1; done
sleep 0.2
kill "$tcpdump_pid" 2>/dev/null || true
wait "$tcpdump_pid" 2>/dev/null || true
# The attacker's plaintext is the positive control: it did cross the bridge in clear, so a capture
# that holds no legacy marker is not a capture that sees nothing.
python3 - "$W/bridge.pcap" "$marker" "$A" "$B" "$attack" >"$W/capture.txt" <<'PY' || fail "capture: $(cat "$W/capture.txt")"
import socket, struct, sys
path, marker, a, b = sys.argv[1], sys.argv[2].encode(), sys.argv[3], sys.argv[4]
attack = sys.argv[5].encode()
data = open(path, "rb").read()
magic = struct.unpack("<I", data[:4])[0]
endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
pos, packets, ab_payload, hello, app_data, clear, seen_attack = 24, 0, 0, 0, 0, 0, 0
while pos + 16 <= len(data):
    _, _, caplen, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
    frame = data[pos + 16:pos + 16 + caplen]; pos += 16 + caplen
    if len(frame) < 34 or frame[12:14] != b"\x08\x00": continue
    ip = frame[14:]; ihl = (ip[0] & 15) * 4
    if ip[9] != 6: continue
    src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    tcp = ip[ihl:]; payload = tcp[(tcp[12] >> 4) * 4:]
    packets += 1
    if marker in payload: clear += 1
    if attack in payload: seen_attack += 1
    if {src, dst} == {a, b} and payload:
        ab_payload += len(payload)
        if payload[:1] == b"\x16" and payload[1:2] == b"\x03": hello += 1
        if b"\x17\x03\x03" in payload: app_data += 1
print(f"{packets} TCP packets on the bridge, {ab_payload} payload bytes between A and B, "
      f"{hello} starting with a TLS handshake record, {app_data} with TLS application data, "
      f"{clear} holding the legacy plaintext marker; the attacker's plaintext seen in {seen_attack}")
sys.exit(0 if packets and hello and app_data and clear == 0 and seen_attack else 1)
PY
echo "ok   capture on the bridge: $(cat "$W/capture.txt")"

# --- B's certificate files rotated while a transfer runs ----------------------------------------
want=$(python3 -c 'print("".join("chunk%02d;" % i for i in range(20)))')
served_serial() {  # the serial B's inbound presents now, seen from X with a valid client certificate
  in_ns "$NS_X" timeout 10 openssl s_client -connect "$B:80" -cert "$W/probe-leaf/tls.crt" \
    -key "$W/probe-leaf/tls.key" </dev/null 2>/dev/null | openssl x509 -noout -serial | cut -d= -f2
}
"$BIN" ca issue --dir "$W/ca" --spiffe-id spiffe://demo.local/ns/x/sa/probe --out "$W/probe-leaf" >/dev/null
[ "$(served_serial)" = "${serial_b1^^}" ] || fail "B serves $(served_serial) before the rotation, want $serial_b1"
client "$NS_A" "$B" "SLOW-ROTATE" >"$W/rotate.out" &
rotating=$!
for _ in $(seq 100); do grep -q "slow transfer started SLOW-ROTATE" "$W/legacy-b.log" && break; sleep 0.05; done
grep -q "slow transfer started SLOW-ROTATE" "$W/legacy-b.log" || fail "the transfer to rotate under never started"
serial_b2=$(issue_b v2)
chown -R "$SIDECAR_UID:$SIDECAR_UID" "$W/b-id"
ln -s ..v2 "$W/b-id/..data_tmp" && mv -T "$W/b-id/..data_tmp" "$W/b-id/..data"
for _ in $(seq 100); do grep -q "serial $serial_b2" "$W/sidecar-b.log" && break; sleep 0.05; done
grep -q "serial $serial_b2" "$W/sidecar-b.log" || fail "B's sidecar never loaded the rotated certificate $serial_b2"
kill -0 "$rotating" 2>/dev/null || fail "the transfer ended before the rotation was loaded: no test of it"
wait "$rotating" || true
[ "$(cat "$W/rotate.out")" = "$want" ] ||
  fail "the transfer across B's rotation got '$(cat "$W/rotate.out")', want all 20 chunks"
[ "$(served_serial)" = "${serial_b2^^}" ] || fail "B serves $(served_serial) after the rotation, want $serial_b2"
reply=$(client "$NS_A" "$B" "AFTER-ROTATION")
[ "$reply" = "legacy-b saw: AFTER-ROTATION" ] || fail "A -> B after the rotation got '$reply'"
echo "ok   B's certificate rotated ($serial_b1 -> $serial_b2) mid-transfer: all 160 bytes arrive, B serves the new serial, A connects anew"

# --- SIGTERM to B's sidecar while a transfer is in flight: the transfer finishes --------------
client "$NS_A" "$B" "SLOW" >"$W/slow.out" &
slow=$!
for _ in $(seq 100); do grep -q "slow transfer started SLOW$" "$W/legacy-b.log" && break; sleep 0.05; done
grep -q "slow transfer started SLOW$" "$W/legacy-b.log" || fail "the slow transfer never started"
kill -TERM "$sidecar_b"
wait "$slow" || true
[ "$(cat "$W/slow.out")" = "$want" ] ||
  fail "the transfer in flight at SIGTERM got '$(cat "$W/slow.out")', want all 20 chunks"
rc=0
wait "$sidecar_b" || rc=$?
[ $rc = 0 ] || fail "B's sidecar exited $rc after SIGTERM"
# Two such lines: the transfer across the rotation, and this one.
[ "$(grep -c '"reason":"ok".*"bytes_from_upstream":160' "$W/sidecar-b.log")" = 2 ] ||
  fail "B's sidecar did not log the drained transfer as ok with its 160 bytes"
echo "ok   SIGTERM to B's sidecar mid-transfer: all 160 bytes arrive, the sidecar exits 0"
echo "transparent_netns: 7 passed, 0 failed"
