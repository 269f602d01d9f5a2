#pragma once
// One inbound sidecar ("in" -> an echo backend) with its own TestPki, for the tests of what
// happens to a peer over time (resumption bounds, connection lifetime, truncation). `tweak`
// edits the config before start (limits, tls, trust.crl). The server leaf is valid for 24 h.

#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "proxy/sidecar/sidecar.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {

struct InboundFixture {
  explicit InboundFixture(const std::function<void(config::Config&, const TestPki&)>& tweak = {},
                          unsigned workers = 1);

  // For one ping() exchange with the sidecar as `client`, offering `session` when set.
  proxy::ProbeOptions options(const TestPki::Files& client, SSL_SESSION* session = nullptr) const;
  proxy::ProbeResult connect(const TestPki::Files& client, SSL_SESSION* session = nullptr,
                             int max_version = 0);
  double handshakes(const std::string& reason) const;  // mtls_handshakes_total{reason}
  double refused(const std::string& reason) const;     // mtls_connections_refused_total{reason}

  TestPki pki;
  Backend backend;
  TestPki::Files server;
  std::unique_ptr<proxy::Sidecar> sidecar;
};

// The notAfter of the (first) certificate in a PEM file.
std::time_t not_after_of(const std::string& cert_file);
// Blocks until the wall clock is past `t` (certificate and CRL times have second granularity).
void wait_until_past(std::time_t t);

}  // namespace mtls::test
