// inbound/outbound listeners: addresses, names, allow/expect policies, SNI defaults.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

// identity and trust, valid; listeners follow from line 5.
const std::string kHead =
    std::string(mtls::test::kFileIdentityYaml) + "trust: { ca_bundle: ca.crt }\n";

// One inbound listener whose `line` (the 4th key, line 9) is the one under test.
std::string inbound_with(std::string_view line) {
  return kHead +
         "inbound:\n  - name: web\n    listen: 0.0.0.0:8443\n    forward: 127.0.0.1:8080\n" +
         std::string(line) + "\n";
}

TEST(ConfigListeners, RejectsEmptyAllowListWithAHint) {
  EXPECT_EQ(load_error(R"(# sidecar for web
admin: { listen: 127.0.0.1:9901 }
workers: 2
identity:
  source: file
  file: { cert: tls.crt, key: tls.key }
trust: { ca_bundle: ca.crt }
inbound:
  - name: web
    listen: 0.0.0.0:8443
    forward: 127.0.0.1:8080
    allow: { spiffe_ids: [], dns_names: [] }
)"),
            "sidecar.yaml:12:5: inbound[0].allow: empty allow-list; set any: true to accept any "
            "peer of the trust domain");
}

TEST(ConfigListeners, RejectsAllowWithoutAValueAsEmpty) {
  EXPECT_EQ(load_error(inbound_with("    allow:")),
            "sidecar.yaml:9:5: inbound[0].allow: empty allow-list; set any: true to accept any "
            "peer of the trust domain");
}

TEST(ConfigListeners, RejectsEmptyExpectWithAHint) {
  EXPECT_EQ(load_error(kHead + R"(outbound:
  - name: orders
    listen: 127.0.0.1:15001
    forward: orders.default.svc:8443
    expect: {}
)"),
            "sidecar.yaml:9:5: outbound[0].expect: empty expect; set any: true to accept any "
            "server of the trust domain");
}

TEST(ConfigListeners, RejectsAnyTogetherWithLists) {
  EXPECT_EQ(load_error(inbound_with(
                "    allow: { any: true, spiffe_ids: [\"spiffe://demo.local/ns/a/sa/b\"], "
                "dns_names: [b] }")),
            "sidecar.yaml:9:5: inbound[0].allow: any: true together with spiffe_ids, dns_names is "
            "ambiguous; keep one or the other");
}

TEST(ConfigListeners, AcceptsAnyFalseWithLists) {
  const config::Config c = config::load_string(
      inbound_with("    allow: { any: false, trust_domains: [demo.local], common_names: [cn] }"),
      "sidecar.yaml");
  EXPECT_FALSE(c.inbound[0].allow.any);
  EXPECT_EQ(c.inbound[0].allow.trust_domains, std::vector<std::string>{"demo.local"});
  EXPECT_EQ(c.inbound[0].allow.common_names, std::vector<std::string>{"cn"});
}

TEST(ConfigListeners, ReportsMissingListenAtTheListenerMap) {
  EXPECT_EQ(load_error(kHead + R"(inbound:
  - name: web
    forward: 127.0.0.1:8080
    allow: { any: true }
)"),
            "sidecar.yaml:6:5: inbound[0].listen: is required");
}

TEST(ConfigListeners, ReportsMissingAllowAtTheListenerMap) {
  EXPECT_EQ(load_error(kHead + R"(inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080 }
)"),
            "sidecar.yaml:6:5: inbound[0].allow: is required");
}

TEST(ConfigListeners, RejectsPortOutOfRange) {
  EXPECT_EQ(load_error(kHead + R"(inbound:
  - name: web
    listen: 0.0.0.0:70000
    forward: 127.0.0.1:8080
    allow: { any: true }
)"),
            "sidecar.yaml:7:5: inbound[0].listen: port 70000 is out of range 0..65535");
}

TEST(ConfigListeners, RejectsForwardToPortZero) {
  EXPECT_EQ(load_error(kHead + R"(inbound:
  - name: web
    listen: 0.0.0.0:0
    forward: 127.0.0.1:0
    allow: { any: true }
)"),
            "sidecar.yaml:8:5: inbound[0].forward: port 0 is not allowed here; expected 1..65535");
}

TEST(ConfigListeners, RejectsUnbracketedIpv6) {
  EXPECT_EQ(load_error(kHead + R"(inbound:
  - name: web
    listen: "::1:8443"
    forward: 127.0.0.1:8080
    allow: { any: true }
)"),
            "sidecar.yaml:7:5: inbound[0].listen: IPv6 address without brackets in \"::1:8443\"; "
            "write it like \"[::1]:9901\"");
}

TEST(ConfigListeners, ReadsBracketedIpv6) {
  const config::Config c = config::load_string(kHead + R"(inbound:
  - name: web
    listen: "[::]:8443"
    forward: "[::1]:8080"
    allow: { any: true }
)",
                                               "sidecar.yaml");
  EXPECT_EQ(c.inbound[0].listen, (config::HostPort{"::", 8443}));
  EXPECT_EQ(c.inbound[0].forward, (config::HostPort{"::1", 8080}));
}

TEST(ConfigListeners, RejectsDuplicateListenerNameAcrossInboundAndOutbound) {
  EXPECT_EQ(load_error(kHead + R"(inbound:
  - name: web
    listen: 0.0.0.0:8443
    forward: 127.0.0.1:8080
    allow: { any: true }
outbound:
  - name: web
    listen: 127.0.0.1:15001
    forward: orders:8443
    expect: { any: true }
)"),
            "sidecar.yaml:11:5: outbound[0].name: duplicate listener name \"web\"; inbound[0].name "
            "has it already (names are metric labels, unique across inbound and outbound)");
}

TEST(ConfigListeners, RejectsNamesThatCannotBeMetricLabels) {
  EXPECT_EQ(load_error(kHead + R"(inbound:
  - name: "web app"
    listen: 0.0.0.0:8443
    forward: 127.0.0.1:8080
    allow: { any: true }
)"),
            "sidecar.yaml:6:5: inbound[0].name: \"web app\" may contain only letters, digits, '_', "
            "'.' and '-' (it is a metric label)");
  EXPECT_EQ(load_error(kHead + R"(inbound:
  - { name: "", listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)"),
            "sidecar.yaml:6:7: inbound[0].name: must not be empty");
}

TEST(ConfigListeners, RejectsUnknownProtocol) {
  EXPECT_EQ(
      load_error(inbound_with("    protocol: udp\n    allow: { any: true }")),
      "sidecar.yaml:9:5: inbound[0].protocol: unknown protocol \"udp\"; expected tcp or http");
}

TEST(ConfigListeners, RejectsSpiffeIdsWithoutScheme) {
  EXPECT_EQ(load_error(inbound_with("    allow: { spiffe_ids: [demo.local/ns/a/sa/b] }")),
            "sidecar.yaml:9:27: inbound[0].allow.spiffe_ids[0]: \"demo.local/ns/a/sa/b\" must "
            "start with spiffe://");
}

TEST(ConfigListeners, PointsABareTrustDomainInSpiffeIdsToTrustDomains) {
  EXPECT_EQ(load_error(inbound_with("    allow: { spiffe_ids: [\"spiffe://demo.local\"] }")),
            "sidecar.yaml:9:27: inbound[0].allow.spiffe_ids[0]: \"spiffe://demo.local\" has no "
            "path; to accept the whole trust domain use trust_domains: [demo.local]");
}

TEST(ConfigListeners, RejectsTrustDomainsWithAScheme) {
  EXPECT_EQ(load_error(inbound_with("    allow: { trust_domains: [\"spiffe://demo.local\"] }")),
            "sidecar.yaml:9:30: inbound[0].allow.trust_domains[0]: \"spiffe://demo.local\": a "
            "trust domain is a bare name like demo.local, without spiffe://");
}

TEST(ConfigListeners, DefaultsServerNameToTheForwardHostName) {
  const config::Config c = config::load_string(kHead + R"(outbound:
  - { name: a, listen: 127.0.0.1:0, forward: orders.default.svc:8443, expect: { any: true } }
  - { name: b, listen: 127.0.0.1:0, forward: 10.1.2.3:8443, expect: { any: true } }
  - { name: c, listen: 127.0.0.1:0, forward: "[fd00::7]:8443", expect: { any: true } }
  - { name: d, listen: 127.0.0.1:0, forward: 10.1.2.3:8443, server_name: orders.svc,
      expect: { any: true } }
)",
                                               "sidecar.yaml");
  ASSERT_EQ(c.outbound.size(), 4u);
  EXPECT_EQ(c.outbound[0].server_name, "orders.default.svc");
  EXPECT_EQ(c.outbound[1].server_name, "");  // SNI carries no IP literals
  EXPECT_EQ(c.outbound[2].server_name, "");
  EXPECT_EQ(c.outbound[3].server_name, "orders.svc");
}

TEST(ConfigListeners, VerifiesTheServerNameUnlessTurnedOff) {
  const config::Config c = config::load_string(kHead + R"(outbound:
  - { name: a, listen: 127.0.0.1:0, forward: orders.svc:8443, expect: { any: true } }
  - { name: b, listen: 127.0.0.1:0, forward: orders.svc:8443, verify_server_name: false,
      expect: { any: true } }
)",
                                               "sidecar.yaml");
  ASSERT_EQ(c.outbound.size(), 2u);
  EXPECT_TRUE(c.outbound[0].verify_server_name);
  EXPECT_FALSE(c.outbound[1].verify_server_name);
}

TEST(ConfigListeners, RejectsAnIpAddressAsServerName) {
  EXPECT_EQ(load_error(kHead + R"(outbound:
  - name: orders
    listen: 127.0.0.1:15001
    forward: 10.1.2.3:8443
    server_name: 10.1.2.3
    expect: { any: true }
)"),
            "sidecar.yaml:9:5: outbound[0].server_name: \"10.1.2.3\" is an IP address; SNI carries "
            "only DNS names");
}

TEST(ConfigListeners, RejectsNoListenersAtAll) {
  EXPECT_EQ(load_error(kHead + "inbound: []\n"),
            "sidecar.yaml:5:1: no listeners; define at least one inbound or outbound listener");
}

TEST(ConfigListeners, RejectsTwoListenersOnOnePort) {
  EXPECT_EQ(load_error(kHead + R"(inbound:
  - { name: a, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
  - { name: b, listen: 127.0.0.1:8443, forward: 127.0.0.1:8081, allow: { any: true } }
outbound:
  - { name: c, listen: 127.0.0.1:9901, forward: x:1, expect: { any: true } }
)"),
            "sidecar.yaml:7:16: inbound[1].listen: 127.0.0.1:8443 overlaps inbound[0].listen "
            "(0.0.0.0:8443); each listener needs its own port\n"
            "sidecar.yaml:9:16: outbound[0].listen: 127.0.0.1:9901 overlaps admin.listen "
            "(127.0.0.1:9901); each listener needs its own port");
}

TEST(ConfigListeners, AllowsManyListenersOnEphemeralPorts) {
  const config::Config c = config::load_string(kHead + R"(admin: { listen: 127.0.0.1:0 }
inbound:
  - { name: a, listen: 127.0.0.1:0, forward: 127.0.0.1:8080, allow: { any: true } }
  - { name: b, listen: 127.0.0.1:0, forward: 127.0.0.1:8081, allow: { any: true } }
)",
                                               "sidecar.yaml");
  EXPECT_EQ(c.inbound.size(), 2u);
}

}  // namespace
