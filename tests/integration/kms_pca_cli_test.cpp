// The command line and awscli against the fake KMS / ACM-PCA: `mtls-sidecar kms-wrap` (the real
// binary) writes an envelope, mode 0600 and no plaintext, that a sidecar then serves; Debian's
// awscli (`aws kms decrypt`, `aws acm-pca get-certificate-authority-certificate`) pointed at the
// fake with --endpoint-url gets the right answers, which shows the fake speaks the real protocol.
// The awscli cases skip when no aws binary is installed (scripts/deps.sh installs awscli).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "certs/aws/kms_client.hpp"
#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/fake_kms_pca.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

struct Outcome {
  int status = -1;
  std::string output;  // stdout and stderr
};

// `command` through the shell with `env` added to this process's environment.
Outcome run(const std::string& command, const std::map<std::string, std::string>& env) {
  std::string line = "env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE";
  for (const auto& [k, v] : env) line += " '" + k + "=" + v + "'";
  line += " " + command + " 2>&1";
  Outcome r;
  FILE* pipe = ::popen(line.c_str(), "r");
  if (!pipe) return r;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    r.output.append(buffer, n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Debian's awscli first: a pip one earlier on PATH may be of another major version.
std::string aws_cli() {
  for (const char* path : {"/usr/bin/aws", "/usr/local/bin/aws"})
    if (::access(path, X_OK) == 0) return path;
  return run("command -v aws", {}).status == 0 ? "aws" : "";
}

struct KmsPcaCli : ::testing::Test {
  TestPki pki;
  TestPki aws_pki{"fake AWS CA"};
  FakeKmsPca fake{aws_pki};

  std::map<std::string, std::string> env() const {
    auto e = fake.environment();
    e["HOME"] = pki.dir();  // no ~/.aws of whoever runs the tests
    return e;
  }
};

TEST_F(KmsPcaCli, KmsWrapWritesOnlyTheEnvelopeMode0600AndASidecarServesIt) {
  const TestPki::Files identity = pki.leaf("backend", kBackendId, {"backend.local"});
  const std::string out = pki.dir() + "/tls.key.kms";
  const Outcome wrap = run(std::string(MTLS_SIDECAR_BINARY) + " kms-wrap --key-id " +
                               FakeKmsPca::kAlias + " --in " + identity.key + " --out " + out,
                           env());
  ASSERT_EQ(wrap.status, 0) << wrap.output;
  EXPECT_THAT(wrap.output, ::testing::HasSubstr("with KMS key " + fake.key_arn()));
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string text = certs::read_file(out);
  EXPECT_TRUE(text.starts_with("-----BEGIN MTLS KMS ENVELOPE-----")) << text;
  EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos);
  const Outcome again = run(std::string(MTLS_SIDECAR_BINARY) + " kms-wrap --key-id " +
                                FakeKmsPca::kAlias + " --in " + identity.key + " --out " + out,
                            env());
  EXPECT_EQ(again.status, 1);
  EXPECT_THAT(again.output, ::testing::HasSubstr("already exists; use --force"));

  std::filesystem::remove(identity.key);  // served from the envelope alone
  Backend backend(Backend::Mode::echo);
  config::Config c = base_config(pki, {identity.cert, out});
  c.identity.file.key_kms = true;
  c.inbound.push_back(inbound_listener(backend.port()));
  proxy::SidecarOptions options;
  options.admin = false;
  options.aws_environment = certs::aws::fixed_environment(env());
  proxy::Sidecar sidecar(std::move(c), options);
  sidecar.start();
  const TestPki::Files client = pki.leaf("frontend", kFrontendId, {});
  const proxy::ProbeResult r = ping({.port = sidecar.port("in"),
                                     .ca_file = pki.ca_bundle(),
                                     .cert_file = client.cert,
                                     .key_file = client.key});
  EXPECT_TRUE(accepted(r)) << r.error;
}

TEST_F(KmsPcaCli, AwsCliDecryptsADataKeyTheFakeWrapped) {
  const std::string aws = aws_cli();
  if (aws.empty()) GTEST_SKIP() << "no aws binary (apt-get install awscli)";
  certs::aws::AwsContext context(certs::aws::fixed_environment(env()));
  certs::aws::KmsClient kms(context, FakeKmsPca::kRegion);
  const auto key = kms.generate_data_key(fake.key_arn(), certs::aws::kDefaultContext);
  const std::string blob = pki.dir() + "/blob";
  certs::write_file(blob, key.wrapped, 0600);
  const Outcome decrypt =
      run(aws + " kms decrypt --endpoint-url " + fake.url() + " --ciphertext-blob fileb://" + blob +
              " --encryption-context purpose=mtls-sidecar-tls-key --key-id " + fake.key_arn() +
              " --query Plaintext --output text",
          env());
  ASSERT_EQ(decrypt.status, 0) << decrypt.output;
  EXPECT_EQ(trimmed(decrypt.output), certs::aws::base64_encode(key.plaintext.bytes()));

  const Outcome wrong =
      run(aws + " kms decrypt --endpoint-url " + fake.url() + " --ciphertext-blob fileb://" + blob +
              " --key-id " + fake.key_arn() + " --query Plaintext --output text",
          env());
  EXPECT_NE(wrong.status, 0);
  EXPECT_THAT(wrong.output, ::testing::HasSubstr("InvalidCiphertextException"));
}

TEST_F(KmsPcaCli, AwsCliGetsThePrivateCaCertificate) {
  const std::string aws = aws_cli();
  if (aws.empty()) GTEST_SKIP() << "no aws binary (apt-get install awscli)";
  const std::string root = certs::to_pem(pki.ca().certificate());
  fake.set_ca(root);
  const Outcome got = run(aws + " acm-pca get-certificate-authority-certificate --endpoint-url " +
                              fake.url() + " --certificate-authority-arn " + fake.ca_arn() +
                              " --query Certificate --output text",
                          env());
  ASSERT_EQ(got.status, 0) << got.output;
  EXPECT_EQ(trimmed(got.output), trimmed(root));

  auto bad = env();
  bad["AWS_SECRET_ACCESS_KEY"] = "wrong";
  const Outcome refused =
      run(aws + " acm-pca get-certificate-authority-certificate --endpoint-url " + fake.url() +
              " --certificate-authority-arn " + fake.ca_arn(),
          bad);
  EXPECT_NE(refused.status, 0);
  EXPECT_THAT(refused.output, ::testing::HasSubstr("InvalidSignatureException"));
}

}  // namespace
}  // namespace mtls::test
