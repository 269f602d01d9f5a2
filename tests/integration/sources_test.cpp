// Identity sources at start-up: a local CA issues the sidecar's own leaf; an encrypted PKCS#8 key
// is read with its passphrase; a wrong passphrase stops start-up with a message naming the file.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "certs/pem.hpp"
#include "proxy/demo/tls_probe.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

TEST(Sources, LocalCaIssuesTheSidecarsOwnLeafAtStartUp) {
  TestPki pki;  // only for its temp dir
  const std::string dir = pki.dir() + "/ca";
  certs::LocalCa::init(dir, "test.local");
  Backend backend(Backend::Mode::echo);

  proxy::Sidecar sidecar(local_ca_config(dir, backend.port(), std::chrono::hours(24), 1),
                         {.handle_signals = false, .admin = false});
  sidecar.start();

  const auto ca = certs::LocalCa::open(dir);
  const auto client = ca.issue(leaf_request(kFrontendId));
  certs::write_issued(pki.dir() + "/client", client, ca.certificate());
  proxy::ProbeOptions o;
  o.port = sidecar.port("in");
  o.ca_file = dir + "/ca.crt";
  o.cert_file = pki.dir() + "/client/tls.crt";
  o.key_file = pki.dir() + "/client/tls.key";
  o.half_close = true;
  const proxy::ProbeResult r = proxy::tls_probe(o, "ping");
  EXPECT_EQ(r.reply, "ping") << r.error << r.alert;
  EXPECT_EQ(r.server_identity, kBackendId);
}

TEST(Sources, ReadsAnEncryptedKeyWithItsPassphraseFile) {
  TestPki pki;
  const auto files = pki.leaf("backend", kBackendId, {"backend.local"}, std::chrono::hours(1),
                              std::chrono::seconds(0), "s3cret-pass");
  const std::string pass_file = pki.dir() + "/pass";
  std::ofstream(pass_file) << "s3cret-pass\n";

  config::Config c = base_config(pki, files);
  c.identity.file.key_passphrase_file = pass_file;
  c.inbound.push_back(inbound_listener(9));
  proxy::Sidecar ok(c, {.handle_signals = false, .admin = false});
  EXPECT_NO_THROW(ok.start());
  ok.stop();

  std::ofstream(pass_file) << "wrong\n";
  proxy::Sidecar bad(c, {.handle_signals = false, .admin = false});
  try {
    bad.start();
    FAIL() << "started with a wrong passphrase";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(files.key), std::string::npos) << e.what();
  }
}

TEST(Sources, AReloadWithABrokenKeyKeepsTheOldIdentityServing) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  const std::string serial_before = pair.inbound->contexts()->serial_hex;
  std::ofstream(pair.backend.key) << "-----BEGIN PRIVATE KEY-----\ntruncated\n";

  const certs::ReloadResult r = pair.inbound->reload();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find(pair.backend.key), std::string::npos) << r.reason;
  EXPECT_EQ(pair.inbound->contexts()->serial_hex, serial_before);
  EXPECT_EQ(plain_exchange(pair.outbound_port(), "still up").reply, "still up");
  EXPECT_EQ(sample(pair.inbound->metrics().serialize(), "mtls_certificate_reloads_total",
                   {{"result", "failure"}}),
            1);
}

}  // namespace
}  // namespace mtls::test
