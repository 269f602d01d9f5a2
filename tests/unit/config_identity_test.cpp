// identity: source selection, the chosen section's required keys, passphrases, and the trust
// bundle that depends on the source.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

// A valid listener, after the identity under test.
const std::string kListener = R"(inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)";

TEST(ConfigIdentity, ReportsMissingFileKeyAtTheFileMap) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt }
trust: { ca_bundle: ca.crt }
)" + kListener),
            "sidecar.yaml:3:9: identity.file.key: is required");
}

TEST(ConfigIdentity, RejectsUnknownSource) {
  EXPECT_EQ(
      load_error(R"(identity:
  source: vault
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
)" + kListener),
      "sidecar.yaml:2:3: identity.source: unknown source \"vault\"; expected file, local_ca or "
      "acm");
}

TEST(ConfigIdentity, RequiresTheSource) {
  EXPECT_EQ(load_error(R"(identity:
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
)" + kListener),
            "sidecar.yaml:2:3: identity.source: is required");
}

TEST(ConfigIdentity, RequiresTheIdentitySection) {
  EXPECT_EQ(load_error("trust: { ca_bundle: ca.crt }\n" + kListener),
            "sidecar.yaml:1:1: identity: is required");
}

TEST(ConfigIdentity, RejectsPassphraseFileAndEnvTogether) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file:
    cert: a.crt
    key: a.key
    key_passphrase_file: pass
    key_passphrase_env: KEY_PASS
trust: { ca_bundle: ca.crt }
)" + kListener),
            "sidecar.yaml:7:5: identity.file.key_passphrase_env: set key_passphrase_file or "
            "key_passphrase_env, not both");
}

TEST(ConfigIdentity, RejectsPassphraseFileAndEnvTogetherForTheLocalCa) {
  EXPECT_EQ(load_error(R"(identity:
  source: local_ca
  local_ca:
    dir: ca
    spiffe_id: spiffe://demo.local/ns/default/sa/web
    key_passphrase_env: CA_PASS
    key_passphrase_file: ca.pass
)" + kListener),
            "sidecar.yaml:6:5: identity.local_ca.key_passphrase_env: set key_passphrase_file or "
            "key_passphrase_env, not both");
}

TEST(ConfigIdentity, RejectsAnInvalidEnvironmentVariableName) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key, key_passphrase_env: KEY-PASS }
trust: { ca_bundle: ca.crt }
)" + kListener),
            "sidecar.yaml:3:36: identity.file.key_passphrase_env: \"KEY-PASS\" is not an "
            "environment variable name (letters, digits, '_')");
}

TEST(ConfigIdentity, RequiresTheSectionOfTheChosenSource) {
  EXPECT_EQ(load_error(R"(identity:
  source: local_ca
  file: { cert: a.crt, key: a.key }
)" + kListener),
            "sidecar.yaml:2:3: identity.local_ca: is required when source is local_ca");
}

TEST(ConfigIdentity, RequiresDirAndSpiffeIdForTheLocalCa) {
  EXPECT_EQ(load_error(R"(identity:
  source: local_ca
  local_ca: { ttl: 12h }
)" + kListener),
            "sidecar.yaml:3:13: identity.local_ca.dir: is required\n"
            "sidecar.yaml:3:13: identity.local_ca.spiffe_id: is required");
}

TEST(ConfigIdentity, RejectsALocalCaSpiffeIdWithoutPath) {
  EXPECT_EQ(load_error(R"(identity:
  source: local_ca
  local_ca: { dir: ca, spiffe_id: "spiffe://demo.local" }
)" + kListener),
            "sidecar.yaml:3:24: identity.local_ca.spiffe_id: \"spiffe://demo.local\" has no path, "
            "like spiffe://demo.local/ns/default/sa/web");
}

// The region may come from the environment (AWS_REGION, as on ECS and EKS) or the ARN itself.
TEST(ConfigIdentity, RequiresTheArnButNotTheRegionForAcm) {
  EXPECT_EQ(load_error(R"(identity:
  source: acm
  acm:
    refresh_interval: 30m
trust: { ca_bundle: ca.crt }
)" + kListener),
            "sidecar.yaml:4:5: identity.acm.certificate_arn: is required");
  const config::Config c = config::load_string(R"(identity:
  source: acm
  acm: { certificate_arn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc" }
trust: { ca_bundle: ca.crt }
)" + kListener,
                                               "sidecar.yaml");
  EXPECT_EQ(c.identity.acm.region, "");
}

TEST(ConfigIdentity, ReadsAnAcmIdentity) {
  const config::Config c = config::load_string(R"(identity:
  source: acm
  acm:
    certificate_arn: arn:aws:acm:eu-west-1:123456789012:certificate/abc
    region: eu-west-1
    endpoint: http://127.0.0.1:4566
    refresh_interval: 30m
trust: { ca_bundle: ca.crt }
)" + kListener,
                                               "sidecar.yaml");
  EXPECT_EQ(c.identity.source, config::IdentitySource::acm);
  EXPECT_EQ(c.identity.acm.certificate_arn, "arn:aws:acm:eu-west-1:123456789012:certificate/abc");
  EXPECT_EQ(c.identity.acm.endpoint, "http://127.0.0.1:4566");
  EXPECT_EQ(c.identity.acm.refresh_interval, std::chrono::minutes(30));
}

TEST(ConfigIdentity, RejectsAnArnOfAnotherService) {
  EXPECT_EQ(load_error(R"(identity:
  source: acm
  acm: { certificate_arn: "arn:aws:iam::123:role/x", region: us-east-1 }
trust: { ca_bundle: ca.crt }
)" + kListener),
            "sidecar.yaml:3:10: identity.acm.certificate_arn: \"arn:aws:iam::123:role/x\" is not "
            "an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)");
}

TEST(ConfigIdentity, ChecksButDoesNotRequireSectionsOfOtherSources) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
  acm: { region: us-east-1 }
trust: { ca_bundle: ca.crt }
)" + kListener),
            "loaded");
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
  acm: { region: US East }
trust: { ca_bundle: ca.crt }
)" + kListener),
            "sidecar.yaml:4:10: identity.acm.region: \"US East\" is not an AWS region, like "
            "us-east-1");
}

TEST(ConfigIdentity, RequiresATrustBundleUnlessTheSourceIsLocalCa) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
)" + kListener),
            "sidecar.yaml:1:1: trust.ca_bundle: is required when source is file");
  EXPECT_EQ(load_error(R"(identity:
  source: acm
  acm: { certificate_arn: "arn:aws:acm:us-east-1:1:certificate/x", region: us-east-1 }
trust: { crl: ca.crl }
)" + kListener),
            "sidecar.yaml:4:8: trust.ca_bundle: is required when source is acm");
  EXPECT_EQ(load_error(R"(identity:
  source: local_ca
  local_ca: { dir: ca, spiffe_id: "spiffe://demo.local/ns/default/sa/web" }
)" + kListener),
            "loaded");
}

}  // namespace
