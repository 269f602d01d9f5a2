// inbound[].proxy_protocol, trust.ocsp, identity.file.ocsp_response and PKCS#11 key URIs:
// read, checked and (for files) resolved like their neighbours.

#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

std::string with(const std::string& inbound_extra, const std::string& trust_extra = "",
                 const std::string& key = "a.key") {
  return "identity:\n  source: file\n  file: { cert: a.crt, key: \"" + key +
         "\", ocsp_response: a.ocsp }\n"
         "trust: { ca_bundle: ca.crt" +
         trust_extra +
         " }\n"
         "inbound:\n  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, " +
         inbound_extra + "allow: { any: true } }\n";
}

TEST(ConfigPkiKeys, ReadsProxyProtocol) {
  EXPECT_EQ(config::load_string(with(""), "s.yaml", "/etc/m").inbound[0].proxy_protocol,
            config::ProxyProtocol::off);
  EXPECT_EQ(config::load_string(with("proxy_protocol: v2, "), "s.yaml").inbound[0].proxy_protocol,
            config::ProxyProtocol::v2);
  EXPECT_EQ(load_error(with("proxy_protocol: v1, ")),
            "sidecar.yaml:6:65: inbound[0].proxy_protocol: unknown proxy_protocol \"v1\"; "
            "expected off or v2");
}

TEST(ConfigPkiKeys, ReadsTrustOcsp) {
  EXPECT_EQ(config::load_string(with(""), "s.yaml").trust.ocsp, config::OcspPolicy::off);
  EXPECT_EQ(config::load_string(with("", ", ocsp: require"), "s.yaml").trust.ocsp,
            config::OcspPolicy::require);
  EXPECT_EQ(config::load_string(with("", ", ocsp: stapled"), "s.yaml").trust.ocsp,
            config::OcspPolicy::stapled);
  EXPECT_EQ(load_error(with("", ", ocsp: on")),
            "sidecar.yaml:4:29: trust.ocsp: unknown policy \"on\"; expected off, stapled or "
            "require");
}

TEST(ConfigPkiKeys, ResolvesTheOcspResponseButNotAPkcs11Uri) {
  const std::string uri = "pkcs11:token=mtls;object=web;pin-source=file:pin.txt";
  const config::Config c = config::load_string(with("", "", uri), "s.yaml", "/etc/m");
  EXPECT_EQ(c.identity.file.ocsp_response, "/etc/m/a.ocsp");
  EXPECT_EQ(c.identity.file.key, "pkcs11:token=mtls;object=web;pin-source=file:/etc/m/pin.txt");
  EXPECT_EQ(config::load_string(with(""), "s.yaml", "/etc/m").identity.file.key, "/etc/m/a.key");
}

// A config whose identity.file section is `file` (on line 3).
std::string with_file(const std::string& file) {
  return "identity:\n  source: file\n  file: " + file +
         "\ntrust: { ca_bundle: ca.crt }\n"
         "outbound:\n  - { name: api, listen: 127.0.0.1:15001, forward: api.local:8443, "
         "expect: { any: true } }\n";
}

TEST(ConfigPkiKeys, ReadsOcspFetchAloneAndRefusesItWithAResponseFile) {
  EXPECT_TRUE(
      config::load_string(with_file("{ cert: a.crt, key: a.key, ocsp_fetch: true }"), "s.yaml")
          .identity.file.ocsp_fetch);
  EXPECT_FALSE(config::load_string(with(""), "s.yaml").identity.file.ocsp_fetch);
  EXPECT_EQ(
      load_error(with_file("{ cert: a.crt, key: a.key, ocsp_response: a.ocsp, ocsp_fetch: true }")),
      "sidecar.yaml:3:59: identity.file.ocsp_fetch: not with ocsp_response: the staple is "
      "either read from a file or fetched");
  EXPECT_EQ(load_error(with_file("{ cert: a.crt, key: a.key, ocsp_fetch: sometimes }")),
            "sidecar.yaml:3:36: identity.file.ocsp_fetch: expected true or false, got "
            "\"sometimes\"");
  EXPECT_EQ(load_error(with_file("{ cert: a.crt, key: a.key, ocsp_fetched: true }")),
            "sidecar.yaml:3:36: identity.file.ocsp_fetched: unknown key; did you mean "
            "ocsp_fetch?");
}

}  // namespace
