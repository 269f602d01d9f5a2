#pragma once
// A small ECDSA P-256 certificate authority kept in a directory (ca.crt, ca.key mode 0600).
// For demos, development and per-node setups: whoever reads ca.key can mint any identity of the
// trust domain (see README "Local CA threat model"). Not thread-safe; use from one thread.

#include <chrono>
#include <string>
#include <vector>

#include "certs/openssl_ptr.hpp"

namespace mtls::certs {

struct IssuedCertificate {
  X509Ptr cert;
  EvpPkeyPtr key;
};

struct LeafRequest {
  std::string spiffe_id;               // URI SAN, e.g. spiffe://demo.local/ns/default/sa/web
  std::vector<std::string> dns_names;  // DNS SANs; the first is the CN
  std::chrono::seconds ttl = std::chrono::hours(24);
  // Test hook: shift the validity window (negative = already expired / valid in the past).
  std::chrono::seconds not_before_offset{0};
};

class LocalCa {
 public:
  // Creates DIR (0700) with a new self-signed root: CN "<trust_domain> local CA", 10 years,
  // BasicConstraints CA:TRUE pathlen 0, KeyUsage keyCertSign+cRLSign, and a critical name
  // constraint permitting URI SANs of <trust_domain> only.
  // Refuses to overwrite an existing CA unless `force`. `passphrase` non-empty: ca.key encrypted.
  static LocalCa init(const std::string& dir, const std::string& trust_domain,
                      const std::string& passphrase = {}, bool force = false);
  // Loads DIR/ca.crt and DIR/ca.key; throws naming the file.
  static LocalCa open(const std::string& dir, const std::string& passphrase = {});
  // An in-memory CA (tests, demo); with `trust_domain`, constrained to it as init() does.
  static LocalCa generate(const std::string& common_name, const std::string& trust_domain = {});

  // A fresh P-256 leaf: URI SAN + DNS SANs, EKU serverAuth+clientAuth, KeyUsage digitalSignature,
  // random 128-bit serial, not_after = min(now + offset + ttl, the CA's not_after), not_before =
  // now + offset - 5 min (peers with clocks a little behind accept it at once; the usable
  // lifetime stays `ttl`). CN: the first DNS name, none without one. Throws for a SPIFFE ID
  // without a path or outside trust_domain().
  IssuedCertificate issue(const LeafRequest& request) const;
  // The same leaf for a key kept elsewhere (in a PKCS#11 token): only its public half is used.
  X509Ptr certify(const LeafRequest& request, EVP_PKEY* key) const;

  // The trust domain this CA issues SPIFFE IDs of: from its name constraint, or the CN
  // "<domain> local CA" of CAs made before constraints; "" (any) for a CA that says neither.
  const std::string& trust_domain() const { return trust_domain_; }

  X509* certificate() const { return cert_.get(); }
  EVP_PKEY* key() const { return key_.get(); }
  const std::string& dir() const { return dir_; }

 private:
  LocalCa(X509Ptr cert, EvpPkeyPtr key, std::string dir);
  X509Ptr cert_;
  EvpPkeyPtr key_;
  std::string dir_;
  std::string trust_domain_;
};

// Writes DIR/tls.crt (leaf then CA) and DIR/tls.key (0600), as `ca issue --out DIR` does.
void write_issued(const std::string& dir, const IssuedCertificate& issued, X509* ca_cert,
                  const std::string& passphrase = {});

}  // namespace mtls::certs
