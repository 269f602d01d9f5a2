#pragma once
// HTTP mode end to end: app -> outbound (protocol: http) -> mTLS -> inbound (protocol: http) ->
// HttpBackend, identities as in SidecarPair (frontend calls backend). The inbound sets
// x-client-spiffe-id and x-client-cert-hash besides x-forwarded-client-cert. `tweak` edits
// both configs before start.

#include <functional>
#include <memory>
#include <string>

#include "proxy/demo/tls_probe.hpp"
#include "tests/support/http_backend.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {

struct HttpPair {
  explicit HttpPair(const std::function<void(config::Config&)>& tweak = {});
  std::uint16_t outbound_port() const { return outbound->port("out"); }
  std::uint16_t inbound_port() const { return inbound->port("in"); }
  // A TLS client straight to the inbound, as the frontend: sends `bytes`, reads until EOF.
  proxy::ProbeResult to_inbound(const std::string& bytes) const;
  // A series of the inbound's (or outbound's) metrics; labels not given are summed.
  double inbound_metric(const std::string& name,
                        const std::map<std::string, std::string>& labels) const;
  double outbound_metric(const std::string& name,
                         const std::map<std::string, std::string>& labels) const;
  // The sidecar counts an exchange once its last byte is written, which may be after the client
  // read it: these wait (up to 5 s) for the series to reach `want`, and return its value.
  double wait_inbound_metric(const std::string& name,
                             const std::map<std::string, std::string>& labels, double want) const;
  double wait_outbound_metric(const std::string& name,
                              const std::map<std::string, std::string>& labels, double want) const;

  TestPki pki;
  HttpBackend backend;
  TestPki::Files frontend, backend_files;
  std::unique_ptr<proxy::Sidecar> inbound, outbound;
};

// Hex SHA-256 of the DER of the (first) certificate in a PEM file.
std::string cert_der_sha256(const std::string& pem_file);

}  // namespace mtls::test
