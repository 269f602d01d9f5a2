// The AWS-backed keys of the file source and the trust section: identity.file.key_kms (a KMS
// envelope instead of a PEM key) and trust.acm_pca_arn / acm_pca_refresh_interval (roots from
// ACM Private CA), with their errors at FILE:LINE:COL.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

const std::string kListener = R"(inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)";
const std::string kPca = "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/abc-123";

TEST(ConfigAwsKeys, KeyKmsIsOffByDefaultAndReadAsABool) {
  const std::string head = R"(identity:
  source: file
  file: { cert: a.crt, key: a.key.kms)";
  EXPECT_FALSE(
      config::load_string(head + " }\ntrust: { ca_bundle: ca.crt }\n" + kListener, "s.yaml")
          .identity.file.key_kms);
  EXPECT_TRUE(config::load_string(
                  head + ", key_kms: true }\ntrust: { ca_bundle: ca.crt }\n" + kListener, "s.yaml")
                  .identity.file.key_kms);
  EXPECT_EQ(load_error(head + ", key_kms: yes }\ntrust: { ca_bundle: ca.crt }\n" + kListener),
            "sidecar.yaml:3:40: identity.file.key_kms: expected true or false, got \"yes\"");
}

TEST(ConfigAwsKeys, KeyKmsRefusesAPassphraseAtTheKeyThatSetsIt) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file:
    cert: a.crt
    key: a.key.kms
    key_kms: true
    key_passphrase_file: pass.txt
trust: { ca_bundle: ca.crt }
)" + kListener),
            "sidecar.yaml:7:5: identity.file.key_passphrase_file: not with key_kms: the KMS "
            "envelope replaces the passphrase (kms-wrap a plain key)");
}

TEST(ConfigAwsKeys, AMisspelledKeyKmsIsAnUnknownKeyWithASuggestion) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key, key_kmss: true }
trust: { ca_bundle: ca.crt }
)" + kListener),
            "sidecar.yaml:3:36: identity.file.key_kmss: unknown key; did you mean key_kms?");
}

TEST(ConfigAwsKeys, ReadsTheAcmPcaArnAndItsRefreshInterval) {
  const config::Config c = config::load_string(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
trust:
  ca_bundle: ca.crt
  acm_pca_arn: ")" + kPca + R"("
  acm_pca_refresh_interval: 5m
)" + kListener,
                                               "s.yaml");
  EXPECT_EQ(c.trust.acm_pca_arn, kPca);
  EXPECT_EQ(c.trust.acm_pca_refresh_interval, std::chrono::minutes(5));
  const config::Config defaults = config::load_string(
      "identity: { source: file, file: { cert: a.crt, key: a.key } }\n"
      "trust: { ca_bundle: ca.crt }\n" +
          kListener,
      "s.yaml");
  EXPECT_EQ(defaults.trust.acm_pca_arn, "");
  EXPECT_EQ(defaults.trust.acm_pca_refresh_interval, std::chrono::hours(1));
}

TEST(ConfigAwsKeys, AnAcmPcaArnStandsInForTheTrustBundle) {
  EXPECT_EQ(load_error("identity: { source: file, file: { cert: a.crt, key: a.key } }\n"
                       "trust: { acm_pca_arn: \"" +
                       kPca + "\" }\n" + kListener),
            "loaded");
}

TEST(ConfigAwsKeys, RejectsAnArnThatIsNotAPrivateCaWithItsPosition) {
  const std::string head =
      "identity: { source: file, file: { cert: a.crt, key: a.key } }\ntrust:\n";
  const std::string why =
      " is not an ACM Private CA ARN (arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID)";
  EXPECT_EQ(
      load_error(head + "  acm_pca_arn: \"arn:aws:acm:eu-west-1:1:certificate/x\"\n" + kListener),
      "sidecar.yaml:3:3: trust.acm_pca_arn: \"arn:aws:acm:eu-west-1:1:certificate/x\"" + why);
  EXPECT_EQ(
      load_error(head + "  acm_pca_arn: \"arn:aws:acm-pca::1:certificate-authority/x\"\n" +
                 kListener),
      "sidecar.yaml:3:3: trust.acm_pca_arn: \"arn:aws:acm-pca::1:certificate-authority/x\"" + why);
  EXPECT_EQ(load_error(head + "  acm_pca_arn: \"" + kPca + "\"\n  acm_pca_refresh_interval: 0\n" +
                       kListener),
            "sidecar.yaml:4:3: trust.acm_pca_refresh_interval: must be greater than 0");
}

}  // namespace
