// Session tickets survive an identity swap (the ticket keys belong to the store, not to one
// SSL_CTX), but a trust bundle change invalidates every session: session_id_context is derived
// from the trust digest (DESIGN.md §3).
#include <gtest/gtest.h>

#include <filesystem>

#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

struct ResumptionFixture : ::testing::Test {
  ResumptionFixture() : backend(Backend::Mode::echo) {
    std::filesystem::create_directories(pki.dir() + "/identity");
    files = {pki.dir() + "/identity/tls.crt", pki.dir() + "/identity/tls.key"};
    bundle = pki.dir() + "/identity/ca.crt";
    certs::write_file(bundle, certs::to_pem(pki.ca().certificate()), 0644);
    replace_leaf();
    config::Config c = base_config(pki, files);
    c.trust.ca_bundle = bundle;
    c.inbound.push_back(inbound_listener(backend.port()));
    sidecar = std::make_unique<proxy::Sidecar>(
        std::move(c), proxy::SidecarOptions{.handle_signals = false, .admin = false});
    sidecar->start();
    client = pki.leaf("frontend", kFrontendId, {"frontend.local"});
  }

  void replace_leaf() {
    serving = issue_pem(pki.ca(), kBackendId, {"backend.local"});
    certs::write_file(files.cert, serving.cert, 0644);
    certs::write_file(files.key, serving.key, 0600);
  }

  proxy::ProbeResult connect(SSL_SESSION* session = nullptr) {
    return ping({.port = sidecar->port("in"),
                 .ca_file = pki.ca_bundle(),
                 .cert_file = client.cert,
                 .key_file = client.key,
                 .session = session});
  }

  TestPki pki;
  Backend backend;
  TestPki::Files files, client;
  std::string bundle;
  IssuedPem serving;
  std::unique_ptr<proxy::Sidecar> sidecar;
};

TEST_F(ResumptionFixture, AClientResumesAfterAReloadThatChangedOnlyTheLeaf) {
  const proxy::ProbeResult first = connect();
  ASSERT_TRUE(accepted(first)) << first.error;
  ASSERT_TRUE(first.session) << "no ticket";
  const std::string digest = sidecar->contexts()->trust_digest;

  replace_leaf();
  ASSERT_TRUE(eventually([&] { return sidecar->contexts()->serial_hex == serving.serial; }));
  EXPECT_EQ(sidecar->contexts()->trust_digest, digest);

  const proxy::ProbeResult resumed = connect(first.session.get());
  EXPECT_TRUE(accepted(resumed)) << resumed.error;
  EXPECT_TRUE(resumed.resumed) << "the ticket from before the swap was not accepted";
  EXPECT_TRUE(connect().server_serial == serving.serial);  // a full handshake sees the new leaf
  EXPECT_EQ(sample(sidecar->metrics().serialize(), "mtls_handshakes_resumed_total", {}), 1);
}

TEST_F(ResumptionFixture, ATrustBundleChangeInvalidatesEverySession) {
  const proxy::ProbeResult first = connect();
  ASSERT_TRUE(first.session) << "no ticket";
  const std::string digest = sidecar->contexts()->trust_digest;

  const TestPki other = pki.other_ca();  // rotation overlap: a second root joins the bundle
  certs::write_file(bundle,
                    certs::to_pem(pki.ca().certificate()) + certs::to_pem(other.ca().certificate()),
                    0644);
  ASSERT_TRUE(eventually([&] { return sidecar->contexts()->trust_digest != digest; }));

  const proxy::ProbeResult again = connect(first.session.get());
  EXPECT_TRUE(accepted(again)) << again.error;  // still trusted: a full handshake instead
  EXPECT_FALSE(again.resumed) << "a session from before the trust change was resumed";
}

}  // namespace
}  // namespace mtls::test
