// identity.file.key as a PKCS#11 URI: the private key is generated inside a SoftHSM2 token and
// never leaves it; our test CA certifies its public half, and the sidecar's handshakes are real,
// signed in the token through the OpenSSL pkcs11 engine, in both directions. A certificate
// rotation (same token key) is picked up without a restart; a wrong PIN, a missing token or key
// and a bad URI are refused at the key's config line, by check-config and run alike.

#include "certs/pkcs11_key.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "certs/load_error.hpp"
#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "proxy/sidecar/preflight.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"
#include "tests/support/softhsm_tokens.hpp"

namespace mtls::test {
namespace {

using ::testing::HasSubstr;

struct Pkcs11Key : ::testing::Test {
  void SetUp() override {
    std::string why;
    hsm = SoftHsmTokens::get(why);
    if (!hsm) GTEST_SKIP() << "no SoftHSM2 here: " << why;
  }

  // A certificate from our test CA for the token's key (its public half, read through the
  // engine), written to `path`; returns its serial.
  std::string certify_token_key(const std::string& path, const std::string& spiffe_id,
                                const std::vector<std::string>& dns_names) {
    const certs::EvpPkeyPtr key = certs::load_pkcs11_key(hsm->uri());
    const certs::X509Ptr leaf = pki.ca().certify(leaf_request(spiffe_id, dns_names), key.get());
    const std::string tmp = path + ".tmp";
    certs::write_file(tmp, certs::to_pem(leaf.get()), 0644);
    std::filesystem::rename(tmp, path);  // as cert-manager does: the watcher sees one change
    return certs::serial_hex(leaf.get());
  }

  std::unique_ptr<proxy::Sidecar> sidecar(config::Config c) {
    proxy::SidecarOptions options;
    options.admin = false;
    return std::make_unique<proxy::Sidecar>(std::move(c), options);
  }

  // The config as a file would give it, so that issues carry FILE:LINE:COL.
  config::Config config_with_key(const std::string& key, const std::string& cert = "") {
    const std::string yaml =
        "identity:\n  source: file\n  file:\n    cert: " + (cert.empty() ? backend_cert : cert) +
        "\n    key: \"" + key + "\"\ntrust:\n  ca_bundle: " + pki.ca_bundle() +
        "\ninbound:\n  - { name: in, listen: 127.0.0.1:0, forward: "
        "127.0.0.1:" +
        std::to_string(backend.port()) + ", allow: { any: true } }\n";
    return config::load_string(yaml, "sidecar.yaml");
  }

  const SoftHsmTokens* hsm = nullptr;
  TestPki pki;
  Backend backend{Backend::Mode::echo};
  const std::string backend_cert = pki.dir() + "/backend.crt";
  const TestPki::Files client = pki.leaf("frontend", kFrontendId, {"frontend.local"});
};

TEST_F(Pkcs11Key, ServesMutualTlsBothWaysWithTheKeyInTheToken) {
  const std::string serial = certify_token_key(backend_cert, kBackendId, {"backend.local"});
  config::Config in_config = base_config(pki, {backend_cert, hsm->uri()});
  in_config.inbound.push_back(inbound_listener(backend.port()));
  auto inbound = sidecar(std::move(in_config));
  inbound->start();

  // Server side: the token signs the inbound's CertificateVerify.
  const proxy::ProbeResult r = ping({.port = inbound->port("in"),
                                     .ca_file = pki.ca_bundle(),
                                     .cert_file = client.cert,
                                     .key_file = client.key});
  EXPECT_TRUE(accepted(r)) << r.error;
  EXPECT_EQ(r.server_serial, serial);
  EXPECT_EQ(r.server_identity, kBackendId);

  // Client side: an outbound sidecar presenting another certificate for the same token key.
  const std::string frontend_cert = pki.dir() + "/frontend-token.crt";
  certify_token_key(frontend_cert, kFrontendId, {"frontend.local"});
  config::Config out_config = base_config(pki, {frontend_cert, hsm->uri()});
  out_config.outbound.push_back(outbound_listener(inbound->port("in")));
  auto outbound = sidecar(std::move(out_config));
  outbound->start();
  const PlainExchange through = plain_exchange(outbound->port("out"), "through both");
  EXPECT_TRUE(through.connected);
  EXPECT_EQ(through.reply, "through both");
}

TEST_F(Pkcs11Key, ACertificateRotationIsServedWithoutRestartAndTheSameTokenKey) {
  const std::string first = certify_token_key(backend_cert, kBackendId, {"backend.local"});
  config::Config c = base_config(pki, {backend_cert, hsm->uri()});
  c.inbound.push_back(inbound_listener(backend.port()));
  auto s = sidecar(std::move(c));
  s->start();
  const proxy::ProbeOptions probe{.port = s->port("in"),
                                  .ca_file = pki.ca_bundle(),
                                  .cert_file = client.cert,
                                  .key_file = client.key};
  ASSERT_EQ(ping(probe).server_serial, first);

  const std::string next = certify_token_key(backend_cert, kBackendId, {"backend.local"});
  ASSERT_NE(next, first);
  EXPECT_TRUE(eventually([&] {
    const proxy::ProbeResult r = ping(probe);
    return accepted(r) && r.server_serial == next;
  })) << "the file watcher reloads the certificate; the key is found in the token again";
}

// check-config (preflight) and run (Sidecar::load_identity, mapped as cmd_run maps it) give the
// same FILE:LINE:COL issue.
struct Refused {
  std::string check_config, run;
};

TEST_F(Pkcs11Key, RefusalsNameTheKeyFieldAtItsLineInCheckConfigAndRun) {
  certify_token_key(backend_cert, kBackendId, {"backend.local"});
  const std::string wrong_pin = pki.dir() + "/wrong-pin";
  certs::write_file(wrong_pin, "0000\n", 0600);
  const std::string module = "?module-path=" + hsm->module();
  const std::string pin = "&pin-source=file:" + hsm->pin_file();
  struct Case {
    const char* name;
    std::string uri;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"wrong PIN",
       "pkcs11:token=" + std::string(SoftHsmTokens::kUntouchedToken) + ";object=web" + module +
           "&pin-source=file:" + wrong_pin,
       "the token refused the PIN: PIN incorrect"},
      {"no such token", "pkcs11:token=nope;object=web" + module + pin, "no such token or key"},
      {"no such key", "pkcs11:token=mtls;object=nope" + module + pin, "no such token or key"},
      {"no PIN",
       "pkcs11:token=" + std::string(SoftHsmTokens::kUntouchedToken) + ";object=web" + module,
       "no PIN given"},
      {"bad URI", "pkcs11:token=mtls;label=web" + module + pin,
       "bad PKCS#11 URI: unknown path attribute \"label\""},
      {"missing PIN file",
       "pkcs11:token=mtls;object=web" + module + "&pin-source=file:" + pki.dir() + "/no-pin",
       "no-pin"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const config::Config config = config_with_key(c.uri);
    const proxy::Preflight checked = proxy::preflight(config);
    ASSERT_EQ(checked.errors.size(), 1u);
    const std::string check_config = checked.errors[0].to_string();
    EXPECT_THAT(check_config, HasSubstr("sidecar.yaml:5:5: identity.file.key: "));
    EXPECT_THAT(check_config, HasSubstr(c.message));

    auto s = sidecar(config);
    std::string run = "loaded";
    try {
      s->load_identity();
    } catch (const certs::LoadError& e) {
      run = proxy::load_issue(s->config(), e.field(), e.what()).to_string();
    }
    EXPECT_EQ(run, check_config);
  }
}

TEST_F(Pkcs11Key, APinInTheConfigWorksButIsWarnedAndALoosePinFileIsRefused) {
  certify_token_key(backend_cert, kBackendId, {"backend.local"});
  const std::string in_config =
      "pkcs11:token=mtls;object=web?module-path=" + hsm->module() + "&pin-value=" + hsm->pin();
  const proxy::Preflight value = proxy::preflight(config_with_key(in_config));
  EXPECT_TRUE(value.errors.empty()) << value.errors[0].to_string();
  ASSERT_EQ(value.warnings.size(), 1u);
  EXPECT_THAT(value.warnings[0].to_string(),
              HasSubstr("sidecar.yaml:5:5: identity.file.key: warning: pin-value puts the "
                        "token's PIN in the config; prefer pin-source=file:PATH"));
  EXPECT_THAT(value.warnings[0].to_string(), ::testing::Not(HasSubstr(hsm->pin())));
  // A key that does not match the certificate is named without the PIN the URI carries.
  const proxy::Preflight mismatch = proxy::preflight(config_with_key(in_config, client.cert));
  ASSERT_EQ(mismatch.errors.size(), 1u);
  EXPECT_THAT(mismatch.errors[0].to_string(),
              HasSubstr("identity.file.key: pkcs11:token=mtls;object=web: private key does not "
                        "match the certificate"));
  EXPECT_THAT(mismatch.errors[0].to_string(), ::testing::Not(HasSubstr(hsm->pin())));

  const std::string loose = pki.dir() + "/loose-pin";
  certs::write_file(loose, hsm->pin(), 0666);
  const proxy::Preflight file = proxy::preflight(config_with_key(
      "pkcs11:token=mtls;object=web?module-path=" + hsm->module() + "&pin-source=file:" + loose));
  ASSERT_FALSE(file.errors.empty());
  EXPECT_THAT(file.errors[0].to_string(), HasSubstr("sidecar.yaml:5:5: identity.file.key: " +
                                                    loose + ": writable by others (mode 0666)"));
}

}  // namespace
}  // namespace mtls::test
