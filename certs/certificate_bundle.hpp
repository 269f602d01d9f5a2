#pragma once
// What a CertificateSource yields: our identity (leaf, chain, key) and what we trust.
// Move-only; built on the control thread, consumed by make_tls_contexts().

#include <string>
#include <vector>

#include "certs/openssl_ptr.hpp"
#include "config/config.hpp"

namespace mtls::certs {

// The roots of one federated trust domain (trust.domains): they vouch for its SPIFFE IDs only.
struct DomainRoots {
  std::string domain;
  std::vector<X509Ptr> roots;
  std::string origin;  // the PEM file, for messages
};

struct CertificateBundle {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;  // intermediates (and possibly the root), leaf excluded
  EvpPkeyPtr key;
  std::vector<X509Ptr> trust;        // trust.ca_bundle: our own trust domain's roots
  std::vector<DomainRoots> domains;  // trust.domains: other trust domains' roots
  std::vector<X509CrlPtr> crls;      // optional
  bool accept_stale_crl = false;     // trust.crl_stale: warn (see crl_policy.hpp)
  config::OcspPolicy ocsp = config::OcspPolicy::off;  // trust.ocsp (see ocsp_check.hpp)
  std::string source;  // "file" | "local_ca" | "acm": the metric label
  std::string origin;  // for messages: "/etc/mtls/tls.crt" or "local CA ca/"
  // The config fields that name where leaf, key and trust came from, and those files, for
  // certs::LoadError (validate_bundle blames the right one).
  struct From {
    std::string field;
    std::string path;
  };
  From cert_from, key_from, trust_from;
  // Our leaf's OCSP response (DER) to staple, checked by make_tls_contexts; empty: none. From
  // identity.file.ocsp_response's file or identity.file.ocsp_fetch's responder URL.
  std::string ocsp_response;
  From ocsp_from;
};

// Every root a peer may chain to: `trust`, then each domain's roots. Pointers into `bundle`.
std::vector<X509*> all_anchors(const CertificateBundle& bundle);

// Throws certs::LoadError (certs/load_error.hpp) naming the field and file at fault when: the key
// does not match the leaf, the leaf is outside its validity window, or leaf + chain does not
// verify against `trust` (our own identity must chain to our own trust domain's roots). Run before
// a bundle is published so a bad one never replaces a good one.
void validate_bundle(const CertificateBundle& bundle);

}  // namespace mtls::certs
