// tls: profile, versions and the lists OpenSSL judges later (certs/tls_policy): what the loader
// accepts, and the contradictions it reports at their line.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

const std::string kRest = R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)";

config::TlsConfig load(std::string_view first_line) {
  return config::load_string(std::string(first_line) + "\n" + kRest, "sidecar.yaml").tls;
}

TEST(ConfigTlsPolicy, DefaultsToIntermediateWithTls12And13) {
  const config::TlsConfig t = load("workers: 1");
  EXPECT_EQ(t.profile, config::TlsProfile::intermediate);
  EXPECT_EQ(t.min_version, "1.2");
  EXPECT_EQ(t.max_version, "1.3");
  EXPECT_TRUE(t.groups.empty());
  EXPECT_TRUE(t.signature_algorithms.empty());
}

TEST(ConfigTlsPolicy, ModernIsTls13Only) {
  const config::TlsConfig t = load("tls: { profile: modern }");
  EXPECT_EQ(t.profile, config::TlsProfile::modern);
  EXPECT_EQ(t.min_version, "1.3");
  EXPECT_EQ(load_error("tls: { profile: modern, min_version: \"1.2\" }\n" + kRest),
            "sidecar.yaml:1:25: tls.min_version: profile modern is TLS 1.3 only; use profile: "
            "intermediate for TLS 1.2");
  EXPECT_EQ(load_error("tls:\n  profile: modern\n  cipher_suites: ECDHE-ECDSA-AES128-GCM-SHA256\n" +
                       kRest),
            "sidecar.yaml:3:3: tls.cipher_suites: TLS 1.2 ciphers with profile modern (TLS 1.3 "
            "only); use tls13_cipher_suites");
  EXPECT_EQ(load_error("tls: { profile: old }\n" + kRest),
            "sidecar.yaml:1:8: tls.profile: unknown profile \"old\"; expected modern or "
            "intermediate");
}

TEST(ConfigTlsPolicy, ReadsMaxVersionAndRefusesOneBelowMin) {
  EXPECT_EQ(load("tls: { max_version: \"1.2\" }").max_version, "1.2");
  EXPECT_EQ(load_error("tls: { min_version: \"1.3\", max_version: \"1.2\" }\n" + kRest),
            "sidecar.yaml:1:28: tls.max_version: max_version 1.2 is below min_version 1.3");
  EXPECT_EQ(load_error("tls: { max_version: \"1.4\" }\n" + kRest),
            "sidecar.yaml:1:8: tls.max_version: unsupported version \"1.4\"; expected \"1.2\" or "
            "\"1.3\"");
}

TEST(ConfigTlsPolicy, ReadsSuitesGroupsAndSignatureAlgorithms) {
  const config::TlsConfig t = load(
      "tls: { tls13_cipher_suites: \"TLS_AES_128_GCM_SHA256\", groups: [X25519, P-256], "
      "signature_algorithms: [ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256] }");
  EXPECT_EQ(t.tls13_cipher_suites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(t.groups, (std::vector<std::string>{"X25519", "P-256"}));
  EXPECT_EQ(t.signature_algorithms,
            (std::vector<std::string>{"ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"}));
  EXPECT_EQ(load_error("tls: { groups: [X25519, \"\"] }\n" + kRest),
            "sidecar.yaml:1:25: tls.groups[1]: must not be empty");
  EXPECT_EQ(load_error("tls: { group: [X25519] }\n" + kRest),
            "sidecar.yaml:1:8: tls.group: unknown key; did you mean groups?");
}

}  // namespace
