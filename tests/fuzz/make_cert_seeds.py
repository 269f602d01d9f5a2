#!/usr/bin/env python3
"""Writes the committed seed corpora of fuzz_cert_identity (DER certificates), fuzz_pem_text
(PEM certificates, bundles, CRLs, broken blocks) and fuzz_private_key (deliberately invalid key
structures). Keys are made in memory and never written: a seed holds no usable private key.
Re-run only to change the seeds: python3 tests/fuzz/make_cert_seeds.py"""

import base64
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)


def write(target, name, data):
    path = os.path.join(HERE, "corpus", target, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def name(*attrs):
    return x509.Name([x509.NameAttribute(oid, value, **kw) for oid, value, kw in attrs])


def cn(value, **kw):
    return (NameOID.COMMON_NAME, value, kw)


ca_key = ec.generate_private_key(ec.SECP256R1())
ca_name = name(cn("fuzz seed CA"), (NameOID.ORGANIZATION_NAME, "mtls-sidecar", {}))


def cert(subject, sans=None, key=None, issuer_key=ca_key, ca=False, extra=()):
    key = key or ec.generate_private_key(ec.SECP256R1())
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW).not_valid_after(NOW + datetime.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    for ext, critical in extra:
        b = b.add_extension(ext, critical=critical)
    algorithm = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return b.sign(issuer_key, algorithm)


URI, DNS = x509.UniformResourceIdentifier, x509.DNSName
certs = {
    "svid": cert(name(cn("web")), [URI("spiffe://demo.local/ns/default/sa/web"), DNS("web")]),
    "two_uris": cert(name(), [URI("spiffe://demo.local/a"), URI("spiffe://demo.local/b")]),
    "dns_only": cert(name(), [DNS("orders.local"), DNS("ORDERS.local"), DNS("*.svc")]),
    "cn_only": cert(name(cn("web"))),
    "two_cns": cert(name(cn("web"), cn("admin"))),
    "bmp_cn": cert(name(cn("web", _type=_ASN1Type.BMPString))),
    "foreign_uri": cert(name(cn("x")), [URI("https://example.org/spiffe://demo.local/x")]),
    "trust_domain": cert(name(), [URI("spiffe://example.org/ns/prod/sa/batch")]),
    "other_sans": cert(name(cn("mixed")), [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.RFC822Name("a@b.c"),
        x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x03abc"),
        x509.DirectoryName(name(cn("dir"))), x509.RegisteredID(x509.ObjectIdentifier("1.2.3")),
        URI("spiffe://demo.local/ns/x/sa/y")]),
    "rsa": cert(name(cn("rsa")), [DNS("rsa.local")], key=rsa.generate_private_key(65537, 1024)),
    "ed25519": cert(name(cn("ed")), [URI("spiffe://demo.local/ed")],
                    key=ed25519.Ed25519PrivateKey.generate()),
    "ca": cert(ca_name, ca=True, key=ca_key, extra=[
        (x509.NameConstraints(permitted_subtrees=[URI("demo.local")], excluded_subtrees=None), True),
        (x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)]),
}
for label, c in certs.items():
    write("cert_identity", label + ".der", c.public_bytes(serialization.Encoding.DER))

pem = {k: c.public_bytes(serialization.Encoding.PEM) for k, c in certs.items()}
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca_name).last_update(NOW)
       .next_update(NOW + datetime.timedelta(days=7))
       .add_extension(x509.CRLNumber(7), critical=False)
       .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(1).revocation_date(NOW)
                                .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), False).build())
       .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(2**70).revocation_date(NOW).build())
       .sign(ca_key, hashes.SHA256()))
crl_pem = crl.public_bytes(serialization.Encoding.PEM)


def block(label, der, headers=b""):
    body = base64.encodebytes(der)
    return b"-----BEGIN " + label + b"-----\n" + headers + body + b"-----END " + label + b"-----\n"


write("pem_text", "leaf.pem", pem["svid"])
write("pem_text", "bundle.pem", pem["svid"] + pem["ca"] + pem["rsa"])
write("pem_text", "crl.pem", crl_pem)
write("pem_text", "mixed.pem", b"junk before\n" + pem["dns_only"] + b"\r\ntext between\r\n" + crl_pem
      + pem["ca"].replace(b"CERTIFICATE", b"TRUSTED CERTIFICATE") + b"trailing")
write("pem_text", "x509_label.pem", pem["cn_only"].replace(b"CERTIFICATE", b"X509 CERTIFICATE"))
# Deliberately invalid key structures (no key material): a PKCS#8 with only a version, an
# "encrypted" key that is a bare SEQUENCE, a legacy-encrypted block of zeros.
write("pem_text", "bad_pkcs8.pem", pem["cn_only"] + block(b"PRIVATE KEY", bytes.fromhex("3003020100")))
write("pem_text", "bad_encrypted.pem", block(b"ENCRYPTED PRIVATE KEY", bytes.fromhex("30023000")))
write("pem_text", "bad_legacy.pem", block(b"EC PRIVATE KEY", bytes(32),
      b"Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n"))


def der_children(der):
    """(offset, header length, content length) of each element of the outer SEQUENCE."""
    def head(at):
        length = der[at + 1]
        if length < 0x80:
            return 2, length
        n = length & 0x7F
        return 2 + n, int.from_bytes(der[at + 2:at + 2 + n], "big")
    h, _ = head(0)
    at, out = h, []
    while at < len(der):
        hh, ln = head(at)
        out.append((at, hh, ln))
        at += hh + ln
    return out


# An EncryptedPrivateKeyInfo whose parameters are real (PBES2, PBKDF2, AES-256-CBC) but whose
# ciphertext is replaced by random bytes: a valid structure that decrypts to nothing.
enc = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
    serialization.BestAvailableEncryption(b"fuzz-pass"))
at, hh, ln = der_children(enc)[1]
hollow = enc[:at + hh] + os.urandom(ln)
write("private_key", "pkcs8_version_only", b"\x00\x00" + bytes.fromhex("3003020100"))
write("private_key", "encrypted_hollow", b"\x01\x01" + hollow)
write("private_key", "encrypted_hollow_nopass", b"\x01\x00" + hollow)
write("private_key", "sec1_empty", b"\x02\x00" + bytes.fromhex("300502010104" + "00"))
write("private_key", "pkcs1_truncated", b"\x03\x00" + bytes.fromhex("3003020100"))
write("private_key", "legacy_text", b"\x04\x01" + block(b"RSA PRIVATE KEY", bytes(48),
      b"Proc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,0011223344556677\n\n"))
print("seeds written under", os.path.join(HERE, "corpus"))
