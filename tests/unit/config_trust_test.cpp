// trust.domains (SPIFFE federation: the roots of each foreign trust domain) and its errors.

#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

const std::string kHead = mtls::test::kFileIdentityYaml;
const std::string kListener = R"(inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)";

TEST(ConfigTrust, ReadsTrustDomainsInFileOrderResolvedAgainstTheConfigDirectory) {
  const config::Config c = config::load_string(kHead + R"(trust:
  ca_bundle: ca.crt
  domains:
    partner.example: partner/ca.pem
    other.example: /etc/other.pem
)" + kListener,
                                               "sidecar.yaml", "/etc/mtls");
  ASSERT_EQ(c.trust.domains.size(), 2u);
  EXPECT_EQ(c.trust.domains[0].domain, "partner.example");
  EXPECT_EQ(c.trust.domains[0].ca_bundle, "/etc/mtls/partner/ca.pem");
  EXPECT_EQ(c.trust.domains[1].domain, "other.example");
  EXPECT_EQ(c.trust.domains[1].ca_bundle, "/etc/other.pem");
}

TEST(ConfigTrust, NoTrustDomainsByDefault) {
  const config::Config c =
      config::load_string(kHead + "trust: { ca_bundle: ca.crt }\n" + kListener, "sidecar.yaml");
  EXPECT_TRUE(c.trust.domains.empty());
}

TEST(ConfigTrust, RejectsATrustDomainWrittenAsASpiffeId) {
  EXPECT_EQ(
      load_error(kHead + R"(trust:
  ca_bundle: ca.crt
  domains:
    "spiffe://partner.example": partner.pem
)" + kListener),
      "sidecar.yaml:7:5: trust.domains.spiffe://partner.example: \"spiffe://partner.example\": "
      "a trust domain is a bare name like demo.local, without spiffe://");
}

TEST(ConfigTrust, RejectsATrustDomainWithoutAFile) {
  EXPECT_EQ(load_error(kHead + R"(trust:
  ca_bundle: ca.crt
  domains:
    partner.example: ""
)" + kListener),
            "sidecar.yaml:7:5: trust.domains.partner.example: must name the PEM file of the trust "
            "domain's roots");
}

TEST(ConfigTrust, RejectsTrustDomainsThatAreNotAMap) {
  EXPECT_EQ(
      load_error(kHead + "trust: { ca_bundle: ca.crt, domains: [partner.example] }\n" + kListener),
      "sidecar.yaml:4:29: trust.domains: expected a map of trust domain: PEM file, got a "
      "list");
}

}  // namespace
