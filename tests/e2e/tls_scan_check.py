#!/usr/bin/env python3
"""tls_scan_check.py - the checking half of tls_scan.sh (standard library only).

  probe HOST PORT SNI CA [CERT KEY]  one mTLS exchange (an HTTP GET) with TLS 1.2 and with 1.3;
                                      prints "<version> served|refused <detail>" per version
  check DIR ALLOWLIST                 reads DIR/testssl.json, DIR/sslscan.xml, DIR/probe-*.txt and
                                      DIR/renegotiation.txt; prints a summary, the failures and
                                      SCORE lines; exit 1 on any failure

Fails on: a testssl finding of severity MEDIUM, HIGH or CRITICAL not in the allowlist; any protocol
below TLS 1.2 offered (either scanner); client renegotiation accepted (sslscan, or an
`openssl s_client` "R" that did not end in "no renegotiation"); a handshake without a client
certificate served on TLS 1.2 or 1.3, or one with a certificate refused (then the scans prove
nothing); any accepted suite that is not AEAD with (EC)DHE key exchange; a scan that did not run.
"""
import json
import os
import re
import socket
import ssl
import sys
import xml.etree.ElementTree as ET

FAIL_SEVERITIES = {"MEDIUM", "HIGH", "CRITICAL", "FATAL"}
OLD_PROTOCOLS = {"SSLv2": "SSLv2", "SSLv3": "SSLv3", "TLS1": "TLS 1.0", "TLS1_1": "TLS 1.1"}
WEAK_CIPHER_LISTS = ["cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                     "cipherlist_3DES_IDEA", "cipherlist_AVERAGE", "cipherlist_OBSOLETED",
                     "cipherlist_STRONG_NOFS"]
AEAD = re.compile(r"GCM|CHACHA20|CCM", re.I)


def probe(host, port, sni, ca, cert=None, key=None):
    for name, version in (("TLSv1.2", ssl.TLSVersion.TLSv1_2), ("TLSv1.3", ssl.TLSVersion.TLSv1_3)):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ctx.maximum_version = version
        ctx.load_verify_locations(ca)
        if cert:
            ctx.load_cert_chain(cert, key)
        try:
            with socket.create_connection((host, int(port)), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname=sni) as s:
                    # TLS 1.3: a refused client's handshake completes; the refusal is the first read.
                    s.sendall(b"GET / HTTP/1.0\r\nHost: scan\r\n\r\n")
                    data = s.recv(64)
            if data.startswith(b"HTTP/"):
                print(f"{name} served {data.splitlines()[0].decode(errors='replace')}")
            else:
                print(f"{name} refused connection closed without a response ({data!r})")
        except (ssl.SSLError, OSError) as e:
            print(f"{name} refused {type(e).__name__}: {e}")


def load_allowlist(path):
    allowed, errors = {}, []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            ident, _, why = line.partition(" ")
            if not why.strip():
                errors.append(f"{path}:{n}: {ident} has no justification")
            allowed[ident] = why.strip()
    return allowed, errors


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def check(d, allowlist_path):
    failures, notes = [], []  # failures: (category, message)

    def fail(category, message):
        failures.append((category, message))

    allowed, errors = load_allowlist(allowlist_path)
    for e in errors:
        fail("scan", e)
    used = set()
    r = None

    # testssl.sh (flat JSON: a list of {id, severity, finding})
    try:
        with open(os.path.join(d, "testssl.json")) as f:
            ts = {item["id"]: item for item in json.load(f)}
    except (OSError, ValueError) as e:
        ts = {}
        fail("scan", f"testssl: no usable JSON ({e})")
    needed = ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3", "cipherlist_NULL"]
    if ts and any(i not in ts for i in needed):
        fail("scan", "testssl: incomplete scan, missing " + ", ".join(i for i in needed if i not in ts))
    above = []
    for ident, item in ts.items():
        sev = item.get("severity", "")
        if sev in FAIL_SEVERITIES:
            key = "testssl:" + ident
            if key in allowed:
                used.add(key)
                above.append(f"{ident} ({sev}, allowlisted)")
            else:
                fail("findings", f"testssl: {ident} {sev}: {item.get('finding', '')}")
        elif sev == "WARN":
            notes.append(f"testssl warning {ident}: {item.get('finding', '')}")
    ts_protocols = []
    for ident, label in OLD_PROTOCOLS.items():
        finding = ts.get(ident, {}).get("finding", "")
        if finding and not finding.startswith("not offered"):
            fail("protocols", f"testssl: {label} offered ({finding})")
    for ident in ("TLS1_2", "TLS1_3"):
        finding = ts.get(ident, {}).get("finding", "")
        if finding.startswith("offered"):
            ts_protocols.append(ident.replace("_", "."))
    for ident in WEAK_CIPHER_LISTS:
        finding = ts.get(ident, {}).get("finding", "not offered")
        if not finding.startswith("not offered"):
            fail("suites", f"testssl: {ident} offered ({finding})")
    ts_ciphers = []
    for ident, item in ts.items():
        if not ident.startswith("cipher_x"):
            continue
        fields = item.get("finding", "").split()
        # "xc02c ECDHE-ECDSA-AES256-GCM-SHA384 ECDH 253 AESGCM 256 TLS_ECDHE_ECDSA_WITH_..."
        name, kx = (fields[1], fields[2]) if len(fields) > 2 else (ident, "?")
        ts_ciphers.append(name)
        if not AEAD.search(name) or not (kx.startswith("ECDH") or kx.startswith("DH")):
            fail("suites", f"testssl: non-AEAD or non-(EC)DHE suite accepted: {item.get('finding')}")
    renego = ts.get("secure_client_renego", {}).get("finding", "")
    if "VULNERABLE" in renego.upper() and "NOT VULNERABLE" not in renego.upper():
        fail("renegotiation", f"testssl: client renegotiation: {renego}")

    # sslscan (XML)
    ss_protocols, ss_ciphers = [], []
    try:
        root = ET.parse(os.path.join(d, "sslscan.xml")).getroot()
        test = root.find("ssltest")
        if test is None:
            raise ValueError("no <ssltest>")
        for p in test.findall("protocol"):
            label = f"{p.get('type').upper()} {p.get('version')}"
            if p.get("enabled") == "1":
                ss_protocols.append(label)
                if (p.get("type"), p.get("version")) not in (("tls", "1.2"), ("tls", "1.3")):
                    fail("protocols", f"sslscan: {label} enabled")
        r = test.find("renegotiation")
        if r is None:
            fail("renegotiation", "sslscan: no renegotiation result")
        elif r.get("supported") != "0":
            fail("renegotiation", f"sslscan: renegotiation supported (secure={r.get('secure')})")
        for h in test.findall("heartbleed"):
            if h.get("vulnerable") != "0":
                fail("findings", f"sslscan: heartbleed on {h.get('sslversion')}")
        for c in test.findall("cipher"):
            name, version = c.get("cipher"), c.get("sslversion")
            ss_ciphers.append(f"{version}:{name}")
            if version != "TLSv1.3" and not (AEAD.search(name) and re.match(r"(ECDHE|DHE)-", name)):
                fail("suites", f"sslscan: non-AEAD or non-(EC)DHE suite accepted: {version} {name}")
            if c.get("strength") not in ("strong", "acceptable"):
                fail("suites", f"sslscan: {version} {name} strength {c.get('strength')}")
        if not ss_ciphers:
            fail("scan", "sslscan: no accepted cipher at all (did the handshake with the client certificate work?)")
    except (OSError, ET.ParseError, ValueError) as e:
        fail("scan", f"sslscan: no usable XML ({e})")

    # Direct probes: client certificate required, renegotiation refused.
    without = read_lines(os.path.join(d, "probe-without-cert.txt"))
    with_cert = read_lines(os.path.join(d, "probe-with-cert.txt"))
    if len(without) != 2 or len(with_cert) != 2:
        fail("client_cert", "probe: missing results")
    for line in without:
        if " served " in f"{line} ":
            fail("client_cert", f"client certificate not required: {line}")
    for line in with_cert:
        if " refused " in f"{line} ":
            fail("client_cert", f"a client with a valid certificate was refused, so the scans prove little: {line}")
    reneg = "\n".join(read_lines(os.path.join(d, "renegotiation.txt")))
    if "RENEGOTIATING" not in reneg:
        fail("renegotiation", "renegotiation probe: s_client did not try to renegotiate")
    elif "no renegotiation" not in reneg:
        fail("renegotiation", "renegotiation probe: TLS 1.2 client renegotiation was not refused")

    stale = sorted(set(allowed) - used)
    print("tls_scan summary")
    print(f"  protocols     testssl: {', '.join(ts_protocols) or '-'}; sslscan: {', '.join(ss_protocols) or '-'}")
    print(f"  suites        sslscan: {' '.join(ss_ciphers) or '-'}")
    print(f"  client cert   without: {'; '.join(without) or '-'}")
    print(f"                with:    {'; '.join(with_cert) or '-'}")
    print(f"  renegotiation sslscan supported={r.get('supported') if r is not None else '?'}; "
          f"s_client R: {'refused (no renegotiation)' if 'no renegotiation' in reneg else 'NOT refused'}; "
          f"testssl: {renego or '-'}")
    print(f"  >= MEDIUM     {len(above)} allowlisted: {', '.join(above) or '-'}")
    for n in notes:
        print(f"  note          {n}")
    for s in stale:
        print(f"  stale         allowlist entry {s} matched nothing")
    for category, message in failures:
        print(f"  FAIL          [{category}] {message}")

    def score(name, figure, condition):
        bad = [m for c, m in failures if c == name or c == "scan"]
        print(f"SCORE tls_scan.{name} {figure} {'fail' if bad else 'pass'} {condition}")
    n_bad = sum(1 for c, _ in failures if c == "findings")
    score("findings", f"{n_bad}-unallowlisted/{len(above)}-allowlisted",
          "no testssl.sh finding >= MEDIUM outside tests/e2e/tls_scan_allowlist.txt")
    score("protocols", ",".join(p.replace(" ", "") for p in ss_protocols) or "none",
          "nothing below TLS 1.2 offered (testssl.sh and sslscan)")
    score("renegotiation", "refused" if not any(c == "renegotiation" for c, _ in failures) else "NOT-refused",
          "TLS 1.2 client renegotiation refused (sslscan, openssl s_client R)")
    score("client_cert", "required" if not any(c == "client_cert" for c, _ in failures) else "NOT-required",
          "handshake without a client certificate refused on TLS 1.2 and 1.3, with one served")
    score("suites", f"{len(ss_ciphers)}-accepted", "only AEAD suites with (EC)DHE key exchange accepted")
    print("tls_scan: " + ("PASS" if not failures else f"FAIL ({len(failures)} problems)"))
    return 1 if failures else 0


def main(argv):
    if len(argv) >= 6 and argv[1] == "probe":
        probe(*argv[2:])
        return 0
    if len(argv) == 4 and argv[1] == "check":
        return check(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
