#pragma once
// What a CertificateSource yields: our identity (leaf, chain, key) and what we trust.
// Move-only; built on the control thread, consumed by make_tls_contexts().

#include <string>
#include <vector>

#include "certs/openssl_ptr.hpp"

namespace mtls::certs {

struct CertificateBundle {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;     // intermediates (and possibly the root), leaf excluded
  EvpPkeyPtr key;
  std::vector<X509Ptr> trust;     // anchors peers must chain to
  std::vector<X509CrlPtr> crls;   // optional
  bool accept_stale_crl = false;  // trust.crl_stale: warn (see crl_policy.hpp)
  std::string source;             // "file" | "local_ca" | "acm": the metric label
  std::string origin;             // for messages: "/etc/mtls/tls.crt" or "local CA ca/"
  // The config fields that name where leaf, key and trust came from, and those files, for
  // certs::LoadError (validate_bundle blames the right one).
  struct From {
    std::string field;
    std::string path;
  };
  From cert_from, key_from, trust_from;
};

// Throws certs::LoadError (certs/load_error.hpp) naming the field and file at fault when: the key does not match the leaf, the leaf is
// outside its validity window, or leaf + chain does not verify against `trust`. Run before a
// bundle is published so a bad one never replaces a good one.
void validate_bundle(const CertificateBundle& bundle);

}  // namespace mtls::certs
