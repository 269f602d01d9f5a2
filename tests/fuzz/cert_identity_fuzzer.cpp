// Fuzz target: a peer certificate, from DER to an authorization verdict: parse_certificates
// (the DER wrapped as PEM here, so mutations hit the ASN.1 directly), extract_identity,
// authorize against three policies, PeerIdentity::display/spiffe_id, and the x509_fields helpers
// used for logs and /certs. Contract checked, beyond "no crash, no leak, no UB":
//  - DER that d2i_X509 decodes whole is accepted by parse_certificates, as one certificate;
//  - several URI SANs, or one naming a bare trust domain, are refused as bad_certificate whatever
//    the policy, `any` admits the rest; the CN counts only without SANs;
//  - a verdict is ok/allowed, or identity_denied/bad_certificate with a detail;
//  - an allowed verdict under the fixed policy has a matching name, recomputed here
//    independently; a policy made of the peer's own names admits it;
//  - spiffe_id() is set only for exactly one URI SAN, equal to it; display() is never empty and,
//    like a refusal's detail, is valid UTF-8 without control characters (a metric label).

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "certs/peer_identity.hpp"
#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace mtls;

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

const config::PeerPolicy& fixed_policy() {
  static const config::PeerPolicy policy{
      .spiffe_ids = {"spiffe://demo.local/ns/default/sa/web"},
      .trust_domains = {"example.org"},
      .dns_names = {"orders.local"},
      .common_names = {"web"},
  };
  return policy;
}

// Independent of peer_identity.cpp: is one of the fixed policy's names on this peer?
bool fixed_policy_matches(const certs::PeerIdentity& peer) {
  const std::string id = peer.spiffe_id();
  if (id == "spiffe://demo.local/ns/default/sa/web") return true;
  if (!id.empty() && iequal(certs::spiffe_trust_domain(id), "example.org")) return true;
  for (const std::string& dns : peer.dns_names) {
    if (iequal(dns, "orders.local")) return true;
  }
  // The CN counts only for a certificate without URI and DNS SANs (RFC 6125).
  return peer.uris.empty() && peer.dns_names.empty() && peer.common_name == "web";
}

// A single URI SAN naming a trust domain without a workload path: refused whatever the policy.
bool bare_trust_domain(const certs::PeerIdentity& peer) {
  return peer.uris.size() == 1 && !certs::spiffe_trust_domain(peer.uris[0]).empty() &&
         peer.spiffe_id().empty();
}

// Valid UTF-8 (shortest forms, no surrogates) without C0 controls or DEL.
bool printable_utf8(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return false;
    std::size_t n = c < 0x80                 ? 1
                    : c >= 0xc2 && c <= 0xdf ? 2
                    : c >= 0xe0 && c <= 0xef ? 3
                    : c >= 0xf0 && c <= 0xf4 ? 4
                                             : 0;
    if (n == 0 || i + n > text.size()) return false;
    std::uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xc0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3f);
    }
    const std::uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : n == 4 ? 0x10000 : 0;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

void check_verdict(const certs::Verdict& v, const certs::PeerIdentity& peer, const char* policy) {
  const std::string where = std::string(policy) + " policy, peer " + peer.display();
  if (peer.uris.size() > 1) {
    FUZZ_CHECK(!v.allowed && v.reason == "bad_certificate", where + ": several URI SANs allowed");
  }
  if (v.allowed) {
    FUZZ_CHECK(v.reason == "ok", where + ": allowed with reason " + v.reason);
  } else {
    FUZZ_CHECK(v.reason == "identity_denied" || v.reason == "bad_certificate",
               where + ": refused with reason " + v.reason);
    FUZZ_CHECK(!v.detail.empty(), where + ": refused without detail");
    FUZZ_CHECK(printable_utf8(v.detail), std::string(policy) + ": detail not printable UTF-8");
  }
}

void check_identity(X509* cert) {
  const certs::PeerIdentity peer = certs::extract_identity(cert);
  FUZZ_CHECK(ERR_peek_error() == 0, "OpenSSL error queue not empty after extract_identity");
  const std::string id = peer.spiffe_id();
  FUZZ_CHECK(id.empty() || (peer.uris.size() == 1 && peer.uris[0] == id), "spiffe_id " + id);
  FUZZ_CHECK(!peer.display().empty(), "empty display()");
  FUZZ_CHECK(printable_utf8(peer.display()), "display() is not printable UTF-8");

  const certs::Verdict any = certs::authorize(peer, {.any = true});
  check_verdict(any, peer, "any");
  FUZZ_CHECK(any.allowed == (peer.uris.size() <= 1 && !bare_trust_domain(peer)),
             "any: true " + any.detail);

  const certs::Verdict fixed = certs::authorize(peer, fixed_policy());
  check_verdict(fixed, peer, "fixed");
  if (peer.uris.size() <= 1 && !bare_trust_domain(peer)) {
    FUZZ_CHECK(fixed.allowed == fixed_policy_matches(peer),
               "fixed policy verdict disagrees with the recomputed match: " + fixed.detail);
  }

  config::PeerPolicy own;
  if (!id.empty()) own.spiffe_ids.push_back(id);
  own.dns_names = peer.dns_names;
  if (!peer.common_name.empty()) own.common_names.push_back(peer.common_name);
  const certs::Verdict self = certs::authorize(peer, own);
  check_verdict(self, peer, "own-names");
  const bool cn_counts = peer.uris.empty() && peer.dns_names.empty();
  const bool has_names =
      !own.spiffe_ids.empty() || !own.dns_names.empty() || (cn_counts && !own.common_names.empty());
  if (peer.uris.size() <= 1 && !bare_trust_domain(peer) && has_names) {
    FUZZ_CHECK(self.allowed, "a policy of the peer's own names refuses it: " + self.detail);
  }

  // Log and /certs helpers: must not crash on any certificate the parser accepts.
  (void)certs::serial_hex(cert);
  (void)certs::subject_text(cert);
  (void)certs::to_time_t(X509_get0_notAfter(cert));
  ERR_clear_error();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const unsigned char* p = data;
  X509* direct = d2i_X509(nullptr, &p, static_cast<long>(size));
  const bool whole = direct != nullptr && p == data + size;
  X509_free(direct);
  ERR_clear_error();

  std::vector<certs::X509Ptr> certs;
  try {
    certs = certs::parse_certificates(fuzz::der_to_pem("CERTIFICATE", data, size), "peer.pem");
  } catch (const std::runtime_error& e) {
    FUZZ_CHECK(!whole, std::string("whole DER certificate refused: ") + e.what());
    return 0;
  }
  FUZZ_CHECK(whole && certs.size() == 1, "accepted DER that d2i_X509 does not decode whole");
  check_identity(certs[0].get());
  return 0;
}
