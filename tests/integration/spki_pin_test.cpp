// Outbound expect.spki_sha256 through real sidecars: the server must hold a pinned key as well as
// the expected identity, so a certificate re-issued for the same key still passes and one for a
// new key (same SPIFFE ID, same CA) is refused with reason spki_mismatch; pinned peers still
// resume. Pins are computed with the openssl command the README documents.
#include <gtest/gtest.h>

#include <cstdlib>

#include "certs/local_ca.hpp"
#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

// SHA-256 of the empty string: a well-formed pin of no key.
const std::string kNoKeyPin = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

class SpkiPin : public ::testing::Test {
 protected:
  SpkiPin() : backend_(Backend::Mode::echo) {}

  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI";
  }

  // The pin of `cert_path`, as README.md tells an operator to compute it.
  std::string pin_of(const std::string& cert_path) {
    const std::string out = pki_.dir() + "/pin.txt";
    const std::string command = "openssl x509 -in '" + cert_path +
                                "' -pubkey -noout | openssl pkey -pubin -outform der | openssl "
                                "dgst -sha256 -binary | base64 > '" +
                                out + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    std::string pin = certs::read_file(out);
    while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) pin.pop_back();
    return pin;
  }

  // An inbound answering as kBackendId with `files`, and an outbound expecting kBackendId and one
  // of `pins` in front of it.
  void start(const TestPki::Files& files, std::vector<std::string> pins) {
    config::Config in = base_config(pki_, files);
    in.inbound.push_back(inbound_listener(backend_.port()));
    inbound_ =
        std::make_unique<proxy::Sidecar>(std::move(in), proxy::SidecarOptions{.admin = false});
    inbound_->start();
    config::Config out = base_config(pki_, pki_.leaf("client", kFrontendId, {}));
    config::OutboundListener l = outbound_listener(inbound_->port("in"));
    l.expect.spki_sha256 = std::move(pins);
    out.outbound.push_back(l);
    outbound_ =
        std::make_unique<proxy::Sidecar>(std::move(out), proxy::SidecarOptions{.admin = false});
    outbound_->start();
  }

  double outbound_handshakes(const std::string& reason, double want) {
    return wait_sample(*outbound_, "mtls_handshakes_total",
                       {{"direction", "outbound"}, {"reason", reason}}, want);
  }

  // The connection is accepted by the outbound, then closed without a byte of the backend's.
  void expect_refused(const std::string& pin_seen) {
    const PlainExchange x = plain_exchange(outbound_->port("out"), "ping");
    EXPECT_TRUE(x.connected);
    EXPECT_TRUE(x.reply.empty());
    EXPECT_EQ(outbound_handshakes("spki_mismatch", 1), 1);
    EXPECT_NE(
        logs_.wait_for({"\"direction\":\"outbound\"", "\"reason\":\"spki_mismatch\"", pin_seen}),
        "");
    EXPECT_EQ(backend_.connections(), 0);
  }

  LogCapture logs_;
  TestPki pki_;
  Backend backend_;
  std::unique_ptr<proxy::Sidecar> inbound_, outbound_;
};

TEST_F(SpkiPin, AdmitsAServerHoldingAPinnedKeyAndResumesWithIt) {
  const TestPki::Files server = pki_.leaf("server", kBackendId, {"backend.local"});
  start(server, {kNoKeyPin, pin_of(server.cert)});
  EXPECT_EQ(plain_exchange(outbound_->port("out"), "ping").reply, "ping");
  EXPECT_EQ(plain_exchange(outbound_->port("out"), "again").reply, "again");
  EXPECT_EQ(outbound_handshakes("ok", 2), 2);
  EXPECT_EQ(
      wait_sample(*outbound_, "mtls_handshakes_resumed_total", {{"direction", "outbound"}}, 1), 1)
      << "the second connection resumed, and resuming still checked the pin (unit tests)";
  EXPECT_EQ(outbound_handshakes("spki_mismatch", 0), 0);
}

TEST_F(SpkiPin, RefusesTheRightIdentityWithAnotherKeyAndNamesTheKeySeen) {
  const TestPki::Files server = pki_.leaf("server", kBackendId, {"backend.local"});
  start(server, {kNoKeyPin});
  expect_refused(pin_of(server.cert));
}

TEST_F(SpkiPin, ACertificateReissuedForThePinnedKeyIsAdmitted) {
  const TestPki::Files first = pki_.leaf("server", kBackendId, {"backend.local"});
  const std::string pin = pin_of(first.cert);
  // The same key certified again (a renewal that keeps the key): a new certificate, same pin.
  const certs::EvpPkeyPtr key = certs::load_private_key(first.key);
  const certs::X509Ptr renewed =
      pki_.ca().certify(leaf_request(kBackendId, {"backend.local"}), key.get());
  const TestPki::Files again{pki_.dir() + "/renewed.crt", first.key};
  certs::write_file(again.cert, certs::to_pem(renewed.get()), 0644);
  ASSERT_NE(certs::read_file(again.cert), certs::read_file(first.cert));
  start(again, {pin});
  EXPECT_EQ(plain_exchange(outbound_->port("out"), "ping").reply, "ping");
}

TEST_F(SpkiPin, ACertificateReissuedWithANewKeyIsRefused) {
  const std::string pin = pin_of(pki_.leaf("server", kBackendId, {"backend.local"}).cert);
  // Same CA, same SPIFFE ID and DNS name: only the key differs.
  const TestPki::Files rekeyed = pki_.leaf("rekeyed", kBackendId, {"backend.local"});
  start(rekeyed, {pin});
  expect_refused(pin_of(rekeyed.cert));
}

}  // namespace
}  // namespace mtls::test
