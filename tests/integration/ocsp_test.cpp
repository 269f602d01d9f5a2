// OCSP against a real responder (`openssl ocsp`, started by the test): the inbound sidecar
// staples its certificate's response, read from identity.file.ocsp_response or fetched from the
// responder its AIA names, and the outbound sidecar checks what servers staple (trust.ocsp).
// A revoked server is refused with reason `revoked`, a missing staple under `require` with
// `ocsp_missing`; a stale staple file fails the reload and the previous staple keeps serving.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <thread>

#include "certs/ocsp_response.hpp"
#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/ocsp_der.hpp"
#include "tests/support/ocsp_responder.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

// Adds an Authority Information Access naming `url` as the OCSP responder, and signs again.
void add_ocsp_url(X509* cert, const certs::LocalCa& ca, const std::string& url) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.certificate(), cert, nullptr, nullptr, 0);
  X509_EXTENSION* aia =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_info_access, ("OCSP;URI:" + url).c_str());
  ASSERT_NE(aia, nullptr);
  X509_add_ext(cert, aia, -1);
  X509_EXTENSION_free(aia);
  ASSERT_GT(X509_sign(cert, ca.key(), EVP_sha256()), 0);
}

struct OcspFixture {
  explicit OcspFixture(std::chrono::minutes validity = std::chrono::minutes(60))
      : responder(pki, validity),
        backend(Backend::Mode::echo),
        frontend(pki.leaf("frontend", kFrontendId, {"frontend.local"})) {
    // The server's leaf names the responder in its AIA, as a CA that runs one issues them.
    const certs::IssuedCertificate issued =
        pki.ca().issue(leaf_request(kBackendId, {"backend.local"}));
    add_ocsp_url(issued.cert.get(), pki.ca(), responder.url());
    server = {pki.dir() + "/server.crt", pki.dir() + "/server.key"};
    certs::write_file(server.cert, certs::to_pem(issued.cert.get()), 0644);
    certs::write_file(server.key, certs::to_pem(issued.key.get()), 0600);
    staple = pki.dir() + "/server.ocsp";
  }

  // The inbound sidecar, stapling the response in `staple` (when it exists) or fetching it.
  void start_inbound(bool fetch = false) {
    config::Config c = base_config(pki, server);
    if (fetch) {
      c.identity.file.ocsp_fetch = true;
    } else {
      c.identity.file.ocsp_response = staple;
    }
    c.inbound.push_back(inbound_listener(backend.port()));
    inbound = std::make_unique<proxy::Sidecar>(
        std::move(c), proxy::SidecarOptions{.handle_signals = false, .admin = false});
    inbound->start();
  }
  void start_inbound_without_staple() {
    config::Config c = base_config(pki, server);
    c.inbound.push_back(inbound_listener(backend.port()));
    inbound = std::make_unique<proxy::Sidecar>(
        std::move(c), proxy::SidecarOptions{.handle_signals = false, .admin = false});
    inbound->start();
  }
  void start_outbound(config::OcspPolicy policy) {
    config::Config c = base_config(pki, frontend);
    c.trust.ocsp = policy;
    c.outbound.push_back(outbound_listener(inbound->port("in")));
    outbound = std::make_unique<proxy::Sidecar>(
        std::move(c), proxy::SidecarOptions{.handle_signals = false, .admin = false});
    outbound->start();
  }

  bool through() { return plain_exchange(outbound->port("out"), "ping", 5000).reply == "ping"; }
  double outbound_handshakes(const std::string& reason) {
    return sample(outbound->metrics().serialize(), "mtls_handshakes_total",
                  {{"direction", "outbound"}, {"reason", reason}});
  }
  // A client asking the inbound sidecar for its staple, in one TLS version.
  proxy::ProbeResult ask_staple(int version) {
    return ping({.port = inbound->port("in"),
                 .ca_file = pki.ca_bundle(),
                 .cert_file = frontend.cert,
                 .key_file = frontend.key,
                 .min_version = version,
                 .max_version = version,
                 .ocsp_status = true});
  }
  certs::OcspStatus status_of(const std::string& der) {
    const certs::X509Ptr leaf = std::move(certs::load_certificates(server.cert).front());
    const certs::X509StorePtr anchors = certs::make_ocsp_store({pki.ca().certificate()});
    return certs::check_ocsp_response(der, leaf.get(), pki.ca().certificate(), nullptr,
                                      anchors.get(), std::time(nullptr));
  }

  TestPki pki;
  OcspResponder responder;
  Backend backend;
  TestPki::Files frontend, server;
  std::string staple;
  std::unique_ptr<proxy::Sidecar> inbound, outbound;
};

TEST(Ocsp, TheResponderSaysGoodTheStapleIsServedAndARequireClientAccepts) {
  OcspFixture f;
  f.responder.set_status(f.server.cert, false);
  certs::write_file(f.staple, f.responder.response_for(f.server.cert), 0644);
  f.start_inbound();
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    const proxy::ProbeResult r = f.ask_staple(version);
    ASSERT_TRUE(accepted(r)) << r.error;
    EXPECT_EQ(r.ocsp_response, certs::read_file(f.staple)) << r.tls_version;
  }
  f.start_outbound(config::OcspPolicy::require);
  EXPECT_TRUE(f.through());
  EXPECT_EQ(f.outbound_handshakes("ok"), 1);
}

TEST(Ocsp, ARevokedServerIsRefusedWithReasonRevoked) {
  OcspFixture f;
  f.responder.set_status(f.server.cert, true);
  certs::write_file(f.staple, f.responder.response_for(f.server.cert), 0644);
  ASSERT_EQ(f.status_of(certs::read_file(f.staple)).status, certs::OcspCertStatus::revoked);
  LogCapture log;
  f.start_inbound();  // a revoked staple loads: it is the truth about us
  f.start_outbound(config::OcspPolicy::stapled);
  EXPECT_FALSE(f.through());
  EXPECT_TRUE(eventually([&] { return f.outbound_handshakes("revoked") == 1; }))
      << f.outbound->metrics().serialize();
  EXPECT_NE(log.wait_for({"stapled OCSP response says it is revoked"}), "");
}

TEST(Ocsp, RequireRefusesAServerThatStaplesNothingStapledAcceptsIt) {
  OcspFixture f;
  f.start_inbound_without_staple();
  f.start_outbound(config::OcspPolicy::require);
  EXPECT_FALSE(f.through());
  EXPECT_TRUE(eventually([&] { return f.outbound_handshakes("ocsp_missing") == 1; }))
      << f.outbound->metrics().serialize();

  f.outbound.reset();
  f.start_outbound(config::OcspPolicy::stapled);
  EXPECT_TRUE(f.through());
}

TEST(Ocsp, AStaleStapleFileFailsTheReloadAndThePreviousStapleKeepsServing) {
  OcspFixture f;
  f.responder.set_status(f.server.cert, false);
  const std::string good = f.responder.response_for(f.server.cert);
  certs::write_file(f.staple, good, 0644);
  LogCapture log;
  f.start_inbound();
  const certs::X509Ptr leaf = std::move(certs::load_certificates(f.server.cert).front());
  certs::write_file(f.staple,
                    ocsp_der(leaf.get(), f.pki.ca(), f.pki.ca(),
                             {.this_update = -hours(3), .next_update = -hours(2)}),
                    0644);
  const certs::ReloadResult r = f.inbound->reload();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.field, "identity.file.ocsp_response");
  EXPECT_NE(r.reason.find("past its nextUpdate"), std::string::npos) << r.reason;
  EXPECT_GE(sample(f.inbound->metrics().serialize(), "mtls_certificate_reloads_total",
                   {{"result", "failure"}}),
            1);
  EXPECT_EQ(f.inbound->contexts()->ocsp_staple, good);
  const proxy::ProbeResult served = f.ask_staple(TLS1_3_VERSION);
  ASSERT_TRUE(accepted(served)) << served.error;
  EXPECT_EQ(served.ocsp_response, good);
}

// A resumed handshake carries no staple and runs no check: the session that the full handshake
// admitted resumes only until the nextUpdate of the staple it checked, then a full handshake
// checks a staple again.
TEST(Ocsp, AnOutboundSessionResumesOnlyUntilTheCheckedStaplesNextUpdate) {
  OcspFixture f;
  const certs::X509Ptr leaf = std::move(certs::load_certificates(f.server.cert).front());
  // Still served after its nextUpdate, within the clock skew allowed (kOcspSkewSeconds).
  certs::write_file(
      f.staple, ocsp_der(leaf.get(), f.pki.ca(), f.pki.ca(), {.next_update = seconds(3)}), 0644);
  f.start_inbound();
  f.start_outbound(config::OcspPolicy::require);
  const auto resumed = [&] {
    return sample(f.outbound->metrics().serialize(), "mtls_handshakes_resumed_total", {});
  };
  ASSERT_TRUE(f.through());
  ASSERT_TRUE(f.through());
  EXPECT_EQ(resumed(), 1) << "the session must resume before the staple's nextUpdate";
  std::this_thread::sleep_for(seconds(4));  // past the nextUpdate: a wall-clock bound
  ASSERT_TRUE(f.through());
  EXPECT_EQ(resumed(), 1) << "resumed past the nextUpdate of the staple that admitted it";
  EXPECT_EQ(f.outbound_handshakes("ok"), 3);
}

TEST(Ocsp, AStapleFetchedFromTheAiaResponderIsServedAndRefreshedBeforeItsNextUpdate) {
  // One-minute responses: refreshed at half their remaining validity, about 30 s later.
  OcspFixture f(std::chrono::minutes(1));
  f.responder.set_status(f.server.cert, false);
  f.start_inbound(/*fetch=*/true);
  const std::shared_ptr<const certs::TlsContexts> first = f.inbound->contexts();
  ASSERT_FALSE(first->ocsp_staple.empty());
  EXPECT_EQ(first->ocsp_status.status, certs::OcspCertStatus::good);
  f.start_outbound(config::OcspPolicy::require);
  EXPECT_TRUE(f.through());
  ASSERT_TRUE(eventually(
      [&] {
        return f.inbound->contexts()->ocsp_status.this_update > first->ocsp_status.this_update;
      },
      std::chrono::seconds(45)));
  const proxy::ProbeResult r = f.ask_staple(TLS1_3_VERSION);
  ASSERT_TRUE(accepted(r)) << r.error;
  EXPECT_EQ(r.ocsp_response, f.inbound->contexts()->ocsp_staple);
  EXPECT_NE(r.ocsp_response, first->ocsp_staple);
}

}  // namespace
}  // namespace mtls::test
