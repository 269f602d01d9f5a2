#pragma once
// Who a certificate says the peer is, and whether a PeerPolicy admits it.
// Pure functions over an X509; thread-safe. Reasons use DESIGN.md's label values.

#include <string>
#include <string_view>
#include <vector>

#include "certs/openssl_ptr.hpp"
#include "config/config.hpp"

namespace mtls::certs {

struct PeerIdentity {
  std::vector<std::string> uris;       // every URI SAN (a valid SVID has exactly one)
  std::vector<std::string> dns_names;  // DNS SANs
  std::string common_name;             // subject CN, "" if none
  // The SPIFFE ID if there is exactly one URI SAN and it is a workload's spiffe://domain/path
  // (a bare spiffe://domain is not), else "".
  std::string spiffe_id() const;
  // For logs and metric labels: the SPIFFE ID, else the first DNS SAN, else "CN=<cn>", else "-".
  // Always valid UTF-8 without control characters (see printable()).
  std::string display() const;
};

PeerIdentity extract_identity(X509* cert);

struct Verdict {
  bool allowed = false;
  // "ok" | "identity_denied" | "bad_certificate" (e.g. several URI SANs) | "spki_mismatch"
  std::string reason;
  std::string detail;  // human text for the log: "spiffe://x/y is not in allow.spiffe_ids"
};

// The rules (DESIGN.md §5): a certificate with more than one URI SAN, or whose URI SAN is a
// bare trust domain (spiffe://demo.local, no path), is refused (bad_certificate) whatever the
// policy; `any` admits every other chain-verified peer; otherwise allowed if the SPIFFE ID is in
// spiffe_ids, or its trust domain in trust_domains, or a DNS SAN in dns_names (ASCII
// case-insensitive), or — only for a certificate without URI and DNS SANs (RFC 6125) — the CN in
// common_names.
Verdict authorize(const PeerIdentity& peer, const config::PeerPolicy& policy);

// The trust domain of a spiffe:// URI ("spiffe://demo.local/ns/x" -> "demo.local"), "" if invalid.
// A bare "spiffe://demo.local" has one too: it names the trust domain.
std::string spiffe_trust_domain(const std::string& uri);
// A SPIFFE ID that can name a workload: valid, with a non-empty path.
bool is_workload_spiffe_id(const std::string& uri);

// Certificate text made safe for a log line or a metric label (Prometheus refuses a scrape with
// invalid UTF-8): valid UTF-8 is kept, control characters, DEL, backslash and bytes that are not
// UTF-8 become \xNN.
std::string printable(std::string_view text);

}  // namespace mtls::certs
