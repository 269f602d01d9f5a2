// trust.crl reloads like the certificates: a client revoked by a new CRL is refused on its next
// handshake with reason `revoked` — also when it offers a ticket from before the revocation —
// while other clients are still accepted. A CRL past its nextUpdate refuses peers by default
// (trust.crl_stale: refuse, reason `crl_stale`, /ready 503) and only warns with crl_stale: warn.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/rotation_support.hpp"
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

  proxy::ProbeResult connect(const TestPki::Files& client, SSL_SESSION* session = nullptr) {
    return ping({.port = sidecar->port("in"),
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

  const proxy::ProbeResult before = f.connect(revoked);
  ASSERT_TRUE(accepted(before)) << before.error;
  ASSERT_TRUE(before.session) << "no ticket";
  const proxy::ProbeResult resumed = f.connect(revoked, before.session.get());
  ASSERT_TRUE(resumed.resumed) << "tickets must work with a CRL loaded, or the test proves nothing";

  const std::string digest = f.sidecar->contexts()->trust_digest;
  certs::write_file(f.crl, crl_pem(f.pki.ca(), {f.serial_of(revoked)}), 0644);
  ASSERT_TRUE(eventually([&] { return f.sidecar->contexts()->trust_digest != digest; }));

  const proxy::ProbeResult with_ticket = f.connect(revoked, resumed.session.get());
  EXPECT_FALSE(accepted(with_ticket)) << "a revoked client resumed its way back in";
  EXPECT_FALSE(with_ticket.resumed);
  const proxy::ProbeResult fresh = f.connect(revoked);
  EXPECT_FALSE(accepted(fresh));
  const proxy::ProbeResult other = f.connect(good);
  EXPECT_TRUE(accepted(other)) << other.error;
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
  EXPECT_FALSE(accepted(f.connect(client)));
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
  const proxy::ProbeResult r = f.connect(client);
  EXPECT_TRUE(accepted(r)) << r.error;
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
  EXPECT_FALSE(accepted(f.connect(revoked)));
  EXPECT_TRUE(eventually([&] { return f.handshakes("revoked") == 1; }));
}

// A root rotation that keeps the subject name: old and new root share it, each publishes its own
// CRL. Each CRL belongs to the root whose key identifier it carries, not to the first root of
// that name; both roots' peers are served and both CRLs revoke.
TEST(RotationCrl, TwoRootsOfOneNameEachWithItsCrlBothWork) {
  TestPki old_root("rotating root");
  TestPki new_root = old_root.other_ca("rotating root");
  ASSERT_EQ(X509_NAME_cmp(X509_get_subject_name(old_root.ca().certificate()),
                          X509_get_subject_name(new_root.ca().certificate())),
            0);
  const TestPki::Files old_good = old_root.leaf("old-good", kFrontendId, {});
  const TestPki::Files old_revoked = old_root.leaf("old-revoked", kFrontendId, {});
  const TestPki::Files new_good = new_root.leaf("new-good", kFrontendId, {});
  const TestPki::Files new_revoked = new_root.leaf("new-revoked", kFrontendId, {});
  const auto serial = [](const TestPki::Files& f) {
    return certs::serial_hex(certs::load_certificates(f.cert).front().get());
  };
  const std::string bundle = old_root.dir() + "/bundle.crt";
  certs::write_file(
      bundle,
      certs::to_pem(old_root.ca().certificate()) + certs::to_pem(new_root.ca().certificate()),
      0644);
  const std::string crl = old_root.dir() + "/both.crl";
  certs::write_file(
      crl,
      crl_pem(old_root.ca(), {serial(old_revoked)}) + crl_pem(new_root.ca(), {serial(new_revoked)}),
      0644);

  Backend backend(Backend::Mode::echo);
  config::Config c = base_config(old_root, old_root.leaf("backend", kBackendId, {"backend.local"}));
  c.trust.ca_bundle = bundle;
  c.trust.crl = crl;
  c.inbound.push_back(inbound_listener(backend.port()));
  proxy::Sidecar sidecar(std::move(c), proxy::SidecarOptions{.admin = false});
  ASSERT_NO_THROW(sidecar.start());

  const auto admits = [&](const TestPki::Files& client) {
    const proxy::ProbeResult r = ping({.port = sidecar.port("in"),
                                       .ca_file = old_root.ca_bundle(),
                                       .cert_file = client.cert,
                                       .key_file = client.key});
    return accepted(r);
  };
  EXPECT_TRUE(admits(old_good));
  EXPECT_TRUE(admits(new_good));
  EXPECT_FALSE(admits(old_revoked));
  EXPECT_FALSE(admits(new_revoked));
  EXPECT_TRUE(eventually([&] {
    return sample(sidecar.metrics().serialize(), "mtls_handshakes_total",
                  {{"reason", "revoked"}}) == 2;
  }));
}

// A CRL of an intermediate that our own chain holds is checked at load like an anchor's: one
// that is not signed by that intermediate refuses the bundle instead of failing every peer's
// handshake later with "CRL signature failure".
TEST(RotationCrl, ACrlOfAnIntermediateOfOurChainMustBeSignedByIt) {
  TestPki pki;
  const certs::LocalCa intermediate = certs::LocalCa::generate("issuing CA");
  const certs::LocalCa impostor = certs::LocalCa::generate("issuing CA");
  // The intermediate's CRL, then the same CRL re-signed by another key of that name (its AKID
  // still names the intermediate): a wrong or tampered file.
  const std::string good_crl = crl_pem(intermediate, {});
  certs::BioPtr bio(BIO_new_mem_buf(good_crl.data(), int(good_crl.size())));
  certs::X509CrlPtr forged(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(forged);
  ASSERT_GT(X509_CRL_sign(forged.get(), impostor.key(), EVP_sha256()), 0);
  certs::BioPtr out(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_X509_CRL(out.get(), forged.get()), 1);
  char* data = nullptr;
  const std::string forged_crl(data, std::size_t(BIO_get_mem_data(out.get(), &data)));

  Backend backend(Backend::Mode::echo);
  const TestPki::Files server = pki.leaf("backend", kBackendId, {"backend.local"});
  const std::string cert_with_chain = pki.dir() + "/chain.crt";
  certs::write_file(cert_with_chain,
                    certs::read_file(server.cert) + certs::to_pem(intermediate.certificate()),
                    0644);
  const std::string crl = pki.dir() + "/crls.pem";
  const auto start = [&](const std::string& intermediate_crl) {
    certs::write_file(crl, crl_pem(pki.ca(), {}) + intermediate_crl, 0644);
    config::Config c = base_config(pki, {cert_with_chain, server.key});
    c.trust.crl = crl;
    c.inbound.push_back(inbound_listener(backend.port()));
    proxy::Sidecar sidecar(std::move(c), proxy::SidecarOptions{.admin = false});
    sidecar.start();
  };
  EXPECT_NO_THROW(start(good_crl));
  try {
    start(forged_crl);
    ADD_FAILURE() << "a CRL not signed by our chain's intermediate was loaded";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("CRL of CN=issuing CA is not signed by that CA"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace mtls::test
