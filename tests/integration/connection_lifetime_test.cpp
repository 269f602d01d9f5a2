// Live connections do not outlive the sidecar's trust in their peer: one older than
// limits.max_connection_age is closed, and after a CRL reload a connection whose peer is now
// revoked is closed while another peer's connection goes on. Both are counted in
// mtls_connections_refused_total.
#include <gtest/gtest.h>

#include <chrono>

#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "tests/support/inbound_fixture.hpp"

namespace mtls::test {
namespace {

using namespace std::chrono_literals;

TEST(ConnectionLifetime, AConnectionOlderThanMaxConnectionAgeIsClosed) {
  InboundFixture f([](config::Config& c, const TestPki&) { c.limits.max_connection_age = 500ms; });
  const TestPki::Files client = f.pki.leaf("client", kFrontendId, {});
  const auto start = std::chrono::steady_clock::now();
  proxy::ProbeConnection connection(f.options(client));
  ASSERT_TRUE(connection.echo("busy")) << "the connection must work first";
  EXPECT_TRUE(connection.closed_by_peer(3s)) << "still open after 3 s";
  EXPECT_GE(std::chrono::steady_clock::now() - start, 500ms);
  EXPECT_TRUE(eventually([&] { return f.refused("max_connection_age") == 1; }))
      << f.sidecar->metrics().serialize();
}

TEST(ConnectionLifetime, ALivePeerRevokedByACrlReloadIsClosedAndAGoodOneIsNot) {
  InboundFixture f([](config::Config& c, const TestPki& pki) {
    c.trust.crl = pki.dir() + "/ca.crl";
    certs::write_file(c.trust.crl, crl_pem(pki.ca(), {}), 0644);
  });
  const TestPki::Files revoked = f.pki.leaf("revoked", kFrontendId, {});
  const TestPki::Files good = f.pki.leaf("good", kFrontendId, {});
  proxy::ProbeConnection to_revoke(f.options(revoked));
  proxy::ProbeConnection to_keep(f.options(good));
  ASSERT_TRUE(to_revoke.echo("one"));
  ASSERT_TRUE(to_keep.echo("two"));

  const std::string digest = f.sidecar->contexts()->trust_digest;
  const std::string serial =
      certs::serial_hex(certs::load_certificates(revoked.cert).front().get());
  certs::write_file(f.pki.dir() + "/ca.crl", crl_pem(f.pki.ca(), {serial}), 0644);
  ASSERT_TRUE(eventually([&] { return f.sidecar->contexts()->trust_digest != digest; }));

  EXPECT_TRUE(to_revoke.closed_by_peer(3s)) << "a revoked peer kept its connection";
  EXPECT_TRUE(eventually([&] { return f.refused("trust_changed") == 1; }))
      << f.sidecar->metrics().serialize();
  EXPECT_TRUE(to_keep.echo("still here")) << "a good peer's connection was closed";
}

}  // namespace
}  // namespace mtls::test
