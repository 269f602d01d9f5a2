// identity.file.key_kms: a sidecar serving a key that exists on disk only as a KMS envelope.
// The fake KMS (tests/support/fake_kms_pca) checks every signature and really unwraps; the
// sidecar's handshakes are real. KMS refusing (AccessDenied, another key, a tampered envelope)
// serves nothing at start-up, and on a reload keeps the old identity and counts the failure.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "certs/aws_backed.hpp"
#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/fake_kms_pca.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

using ::testing::HasSubstr;

struct KmsWrappedKey : ::testing::Test {
  TestPki pki;
  TestPki aws_pki{"fake AWS CA"};
  FakeKmsPca fake{aws_pki};
  Backend backend{Backend::Mode::echo};
  const std::string cert = pki.dir() + "/tls.crt";
  const std::string envelope = pki.dir() + "/tls.key.kms";
  const TestPki::Files client = pki.leaf("frontend", kFrontendId, {"frontend.local"});

  // A fresh identity: its certificate and its key, wrapped as kms-wrap does (the PEM key is
  // never written). `spoil` changes the envelope before it is written: the file watcher must
  // never see a good envelope that a test means to be broken.
  IssuedPem write_identity(const std::string& key_id,
                           const std::function<void(std::string&)>& spoil = {}) {
    IssuedPem issued = issue_pem(pki.ca(), kBackendId, {"backend.local"});
    certs::AwsBacked aws(certs::aws::fixed_environment(fake.environment()));
    const certs::EvpPkeyPtr key = certs::parse_private_key(issued.key, "test key");
    std::string wrapped = aws.wrap_key(key.get(), key_id, "", certs::aws::kDefaultContext);
    if (spoil) spoil(wrapped);
    certs::write_file(envelope, wrapped, 0600);
    certs::write_file(cert, issued.cert, 0644);
    return issued;
  }

  std::unique_ptr<proxy::Sidecar> sidecar() {
    config::Config c = base_config(pki, {cert, envelope});
    c.identity.file.key_kms = true;
    c.inbound.push_back(inbound_listener(backend.port()));
    proxy::SidecarOptions options;
    options.admin = false;
    options.aws_environment = certs::aws::fixed_environment(fake.environment());
    return std::make_unique<proxy::Sidecar>(std::move(c), options);
  }

  proxy::ProbeResult connect(proxy::Sidecar& s) {
    return ping({.port = s.port("in"),
                 .ca_file = pki.ca_bundle(),
                 .cert_file = client.cert,
                 .key_file = client.key});
  }
};

std::string start_error(proxy::Sidecar& s) {
  try {
    s.start();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "started";
}

TEST_F(KmsWrappedKey, AWrappedKeyServesRealHandshakesAfterOneDecrypt) {
  const IssuedPem identity = write_identity(FakeKmsPca::kAlias);
  auto s = sidecar();
  s->start();
  const proxy::ProbeResult r = connect(*s);
  EXPECT_TRUE(accepted(r)) << r.error;
  EXPECT_EQ(r.server_serial, identity.serial);
  EXPECT_EQ(fake.calls("Decrypt"), 1);
}

TEST_F(KmsWrappedKey, KmsRefusingAtStartUpServesNothingAndNamesFileFieldAndReason) {
  write_identity(fake.key_arn());
  fake.deny("Decrypt");
  auto s = sidecar();
  const std::string error = start_error(*s);
  EXPECT_THAT(error, HasSubstr("identity.file.key (key_kms): " + envelope));
  EXPECT_THAT(error, HasSubstr("KMS Decrypt with " + fake.key_arn() + ": AccessDeniedException"));
  EXPECT_EQ(s->contexts(), nullptr);
}

TEST_F(KmsWrappedKey, APlainPemKeyIsRefusedWhenKeyKmsIsSet) {
  const IssuedPem issued = issue_pem(pki.ca(), kBackendId, {"backend.local"});
  certs::write_file(cert, issued.cert, 0644);
  certs::write_file(envelope, issued.key, 0600);
  auto s = sidecar();
  EXPECT_THAT(start_error(*s), HasSubstr("not a KMS envelope, but identity.file.key_kms is true"));
}

TEST_F(KmsWrappedKey, ReloadFailuresKeepTheOldIdentityAndAreCounted) {
  LogCapture log;
  const IssuedPem first = write_identity(fake.key_arn());
  auto s = sidecar();
  s->start();
  ASSERT_EQ(connect(*s).server_serial, first.serial);

  struct Refusal {
    const char* name;
    const char* logged;
    std::function<void()> write;
  };
  const std::vector<Refusal> refusals = {
      {"KMS denies Decrypt", "AccessDeniedException",
       [&] {
         fake.deny("Decrypt");
         write_identity(fake.key_arn());
       }},
      {"envelope names another key", "IncorrectKeyException",
       [&] {
         write_identity(fake.key_arn(), [&](std::string& text) {
           text.replace(text.find(fake.key_arn()), fake.key_arn().size(), fake.other_key_arn());
         });
       }},
      {"body tampered", "does not authenticate",
       [&] {
         write_identity(fake.key_arn(), [](std::string& text) {
           const std::size_t body = text.find("\n\n") + 2;
           text[body + 5] = text[body + 5] == 'A' ? 'B' : 'A';
         });
       }},
  };
  double failures = 0;
  for (const Refusal& refusal : refusals) {
    SCOPED_TRACE(refusal.name);
    fake.deny("");
    refusal.write();
    const certs::ReloadResult r = s->reload();
    EXPECT_FALSE(r.ok);
    EXPECT_THAT(r.reason, HasSubstr(refusal.logged));
    EXPECT_THAT(r.reason, HasSubstr("identity.file.key (key_kms): " + envelope));
    EXPECT_EQ(connect(*s).server_serial, first.serial) << "the old identity keeps serving";
    ++failures;
    EXPECT_TRUE(eventually([&] {
      return sample(s->metrics().serialize(), "mtls_certificate_reloads_total",
                    {{"result", "failure"}}) >= failures;  // the watcher may add its own
    }));
  }
  EXPECT_FALSE(log.wait_for({"certificate reload failed", "AccessDeniedException"}).empty());

  fake.deny("");
  const IssuedPem next = write_identity(fake.key_arn());
  EXPECT_TRUE(
      eventually([&] { return connect(*s).server_serial == next.serial; }, std::chrono::seconds(5)))
      << "a good envelope written later is picked up by the file watcher";
}

}  // namespace
}  // namespace mtls::test
