// The AWS CLI (Debian awscli) against the fake ACM: `aws acm export-certificate` and
// `describe-certificate` with --endpoint-url succeed, and the key it gets decrypts with the
// passphrase it sent. botocore builds, signs and parses these requests independently of our
// client, so this proves the fake speaks the real protocol and not only our idea of it.
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "tests/support/fake_acm.hpp"

namespace mtls::test {
namespace {

struct CliRun {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs the AWS CLI with only `env` (plus PATH), so no ~/.aws or AWS_* of the host leaks in.
CliRun aws_cli(const std::map<std::string, std::string>& env, const std::string& args) {
  std::string command = "env -i PATH=/usr/bin:/bin";
  for (const auto& [name, value] : env) command += " " + name + "='" + value + "'";
  command += " /usr/bin/aws " + args + " 2>&1";
  CliRun r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    r.output.append(buffer, n);
  r.status = ::pclose(pipe);
  return r;
}

bool have_aws_cli() {
  if (std::filesystem::exists("/usr/bin/aws")) return true;
  // CI installs everything (scripts/deps.sh): there a missing tool is a failure, not a skip.
  const char* ci = std::getenv("MTLS_CI");
  if (ci != nullptr && std::string(ci) == "1") ADD_FAILURE() << "/usr/bin/aws (awscli) missing";
  return false;
}

TEST(AcmAwsCli, ExportsAndDescribesTheCertificateOfTheFake) {
  if (!have_aws_cli()) GTEST_SKIP() << "awscli is not installed (scripts/deps.sh)";
  FakeAcm acm;
  TestPki scratch;
  std::map<std::string, std::string> env = acm_environment(acm, scratch.dir());
  env.erase("AWS_ENDPOINT_URL_ACM");  // --endpoint-url instead, as the issue asks
  env["AWS_PAGER"] = "";
  const std::string passphrase = "correct-horse.battery_staple";
  certs::write_file(scratch.dir() + "/pass", passphrase, 0600);
  const std::string common = " --endpoint-url " + acm.url() + " --region " + acm.options().region +
                             " --output json --certificate-arn " + acm.certificate_arn();

  const CliRun exported = aws_cli(
      env, "acm export-certificate" + common + " --passphrase fileb://" + scratch.dir() + "/pass");
  ASSERT_EQ(exported.status, 0) << exported.output;
  ASSERT_EQ(acm.calls("ExportCertificate"), 1) << exported.output;
  ASSERT_EQ(acm.passphrases().at(0), passphrase);
  const boost::json::object out = boost::json::parse(exported.output).as_object();
  const auto cert =
      certs::parse_certificates(std::string(out.at("Certificate").as_string()), "Certificate");
  EXPECT_EQ(certs::serial_hex(cert.front().get()), acm.serial());
  const auto key = certs::parse_private_key(std::string(out.at("PrivateKey").as_string()),
                                            "PrivateKey", passphrase);
  EXPECT_EQ(X509_check_private_key(cert.front().get(), key.get()), 1);
  EXPECT_FALSE(std::string(out.at("CertificateChain").as_string()).empty());
  // The key is encrypted: the wrong passphrase does not open it.
  EXPECT_THROW(certs::parse_private_key(std::string(out.at("PrivateKey").as_string()), "PrivateKey",
                                        "wrong"),
               std::runtime_error);

  const CliRun described = aws_cli(env, "acm describe-certificate" + common);
  ASSERT_EQ(described.status, 0) << described.output;
  const boost::json::object d =
      boost::json::parse(described.output).as_object().at("Certificate").as_object();
  // "0a:1b:..." against "A1B...": the same number.
  const auto number = [](const std::string& hex) {
    std::string digits;
    for (char c : hex)
      if (c != ':' && !(digits.empty() && c == '0'))
        digits += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return digits;
  };
  EXPECT_EQ(number(std::string(d.at("Serial").as_string())), number(acm.serial()));
  EXPECT_EQ(std::string(d.at("Status").as_string()), "ISSUED");

  // A request signed with another secret is refused the way AWS refuses it.
  env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret";
  const CliRun forged = aws_cli(env, "acm describe-certificate" + common);
  EXPECT_NE(forged.status, 0);
  EXPECT_NE(forged.output.find("InvalidSignatureException"), std::string::npos) << forged.output;
}

}  // namespace
}  // namespace mtls::test
