// trust.crl reloads like the certificates: a client revoked by a new CRL is refused on its next
// handshake with reason `revoked` — also when it offers a ticket from before the revocation —
// while other clients are still accepted. A CRL past its nextUpdate refuses peers by default
// (trust.crl_stale: refuse, reason `crl_stale`, /ready 503) and only warns with crl_stale: warn.
#include <gtest/gtest.h>

#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "tests/integration/rotation_support.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

struct CrlFixture {
  explicit CrlFixture(std::chrono::seconds next_update,
                      config::CrlStale stale = config::CrlStale::refuse)
      : backend(Backend::Mode::echo),
        server(pki.leaf("backend", kBackendId, {"backend.local"})),
        crl(pki.dir() + "/ca.crl") {
    certs::write_file(crl, crl_pem(pki.ca(), {}, next_update), 0644);
    config::Config c = base_config(pki, server, 2);
    c.trust.crl = crl;
    c.trust.crl_stale = stale;
    c.inbound.push_back(inbound_listener(backend.port()));
    sidecar = std::make_unique<proxy::Sidecar>(
        std::move(c), proxy::SidecarOptions{.handle_signals = false, .admin = false});
    sidecar->start();
  }

  TlsClientResult connect(const TestPki::Files& client, SSL_SESSION* session = nullptr) {
    return tls_client({.port = sidecar->port("in"),
                       .ca_file = pki.ca_bundle(),
                       .cert_file = client.cert,
                       .key_file = client.key,
                       .session = session});
  }

  std::string serial_of(const TestPki::Files& files) {
    return certs::serial_hex(certs::load_certificates(files.cert).front().get());
  }

  double handshakes(const std::string& reason) {
    return sample(sidecar->metrics().serialize(), "mtls_handshakes_total", {{"reason", reason}});
  }

  TestPki pki;
  Backend backend;
  TestPki::Files server;
  std::string crl;
  std::unique_ptr<proxy::Sidecar> sidecar;
};

TEST(RotationCrl, ARevokedClientIsRefusedEvenWithATicketFromBeforeTheRevocation) {
  CrlFixture f(std::chrono::hours(1));
  const TestPki::Files revoked = f.pki.leaf("revoked", kFrontendId, {"revoked.local"});
  const TestPki::Files good = f.pki.leaf("good", kFrontendId, {"good.local"});

  const TlsClientResult before = f.connect(revoked);
  ASSERT_TRUE(before.accepted) << before.error;
  ASSERT_TRUE(before.session) << "no ticket";
  const TlsClientResult resumed = f.connect(revoked, before.session.get());
  ASSERT_TRUE(resumed.resumed) << "tickets must work with a CRL loaded, or the test proves nothing";

  const std::string digest = f.sidecar->contexts()->trust_digest;
  certs::write_file(f.crl, crl_pem(f.pki.ca(), {f.serial_of(revoked)}), 0644);
  ASSERT_TRUE(eventually([&] { return f.sidecar->contexts()->trust_digest != digest; }));

  const TlsClientResult with_ticket = f.connect(revoked, resumed.session.get());
  EXPECT_FALSE(with_ticket.accepted) << "a revoked client resumed its way back in";
  EXPECT_FALSE(with_ticket.resumed);
  const TlsClientResult fresh = f.connect(revoked);
  EXPECT_FALSE(fresh.accepted);
  const TlsClientResult other = f.connect(good);
  EXPECT_TRUE(other.accepted) << other.error;
  EXPECT_TRUE(eventually([&] { return f.handshakes("revoked") == 2; }))
      << f.sidecar->metrics().serialize();
}

TEST(RotationCrl, ExportsTheNextUpdateOfEachLoadedCrl) {
  CrlFixture f(std::chrono::hours(2));
  const std::string text = f.sidecar->metrics().serialize();
  const double next = sample(text, "mtls_crl_next_update_timestamp_seconds", {});
  EXPECT_NEAR(next, double(std::time(nullptr) + 2 * 3600), 5) << text;
}

TEST(RotationCrl, AStaleCrlRefusesPeersByDefault) {
  LogCapture log;
  CrlFixture f(-std::chrono::hours(1));
  EXPECT_NE(log.wait_for({"past its nextUpdate", "trust.crl_stale: refuse"}), "");
  const TestPki::Files client = f.pki.leaf("client", kFrontendId, {});
  EXPECT_FALSE(f.connect(client).accepted);
  EXPECT_TRUE(eventually([&] { return f.handshakes("crl_stale") == 1; }))
      << f.sidecar->metrics().serialize();
  std::string why;
  EXPECT_FALSE(f.sidecar->ready(why)) << "peers are refused: /ready must say so";
  EXPECT_NE(why.find("crl_stale"), std::string::npos) << why;
}

TEST(RotationCrl, AStaleCrlOnlyWarnsWithCrlStaleWarn) {
  LogCapture log;
  CrlFixture f(-std::chrono::hours(1), config::CrlStale::warn);
  EXPECT_NE(log.wait_for({"past its nextUpdate", "still used (trust.crl_stale: warn)"}), "");
  const TestPki::Files client = f.pki.leaf("client", kFrontendId, {});
  const TlsClientResult r = f.connect(client);
  EXPECT_TRUE(r.accepted) << r.error;
  std::string why;
  EXPECT_TRUE(f.sidecar->ready(why)) << why;
}

TEST(RotationCrl, AStaleCrlStillRevokesWithCrlStaleWarn) {
  CrlFixture f(std::chrono::hours(1), config::CrlStale::warn);
  const TestPki::Files revoked = f.pki.leaf("revoked", kFrontendId, {});
  const std::string digest = f.sidecar->contexts()->trust_digest;
  certs::write_file(f.crl, crl_pem(f.pki.ca(), {f.serial_of(revoked)}, -std::chrono::hours(1)),
                    0644);
  ASSERT_TRUE(eventually([&] { return f.sidecar->contexts()->trust_digest != digest; }));
  EXPECT_FALSE(f.connect(revoked).accepted);
  EXPECT_TRUE(eventually([&] { return f.handshakes("revoked") == 1; }));
}

}  // namespace
}  // namespace mtls::test
