// load_string / load_file: the schema of DESIGN.md §5 to structs, and the exact
// "FILE:LINE:COL: field: message" of each kind of mistake.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.hpp"

namespace {

namespace config = mtls::config;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// what() of the Error that loading `yaml` throws, or "loaded".
std::string load_error(std::string_view yaml, const std::string& name = "sidecar.yaml") {
  try {
    config::load_string(yaml, name);
    return "loaded";
  } catch (const config::Error& e) {
    return e.what();
  }
}

constexpr std::string_view kDesignExample = R"yaml(admin: { listen: 127.0.0.1:9901 }
workers: 0                       # 0 = one per core
identity:
  source: file                   # file | local_ca | acm
  file: { cert: tls.crt, key: tls.key, key_passphrase_file: pass }   # key_passphrase_env also
  local_ca: { dir: ca/, spiffe_id: "spiffe://demo.local/ns/default/sa/web", dns_names: [web], ttl: 24h }
  acm: { certificate_arn: "arn:aws:acm:...", region: us-east-1, endpoint: "", refresh_interval: 1h }
trust: { ca_bundle: ca.crt, crl: "" }
tls: { min_version: "1.2", cipher_suites: "", session_resumption: true }
inbound:
  - name: web
    listen: 0.0.0.0:8443
    forward: 127.0.0.1:8080
    protocol: tcp                # tcp | http
    allow: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/frontend"], dns_names: [], common_names: [] }
outbound:
  - name: orders
    listen: 127.0.0.1:15001
    forward: orders.default.svc:8443
    server_name: orders.default.svc
    expect: { spiffe_ids: ["spiffe://demo.local/ns/default/sa/orders"] }
limits: { handshake_timeout: 10s, connect_timeout: 5s, idle_timeout: 1h, drain_delay: 5s, drain_timeout: 30s, max_connections: 10000 }
)yaml";

TEST(ConfigLoader, LoadsTheDesignExampleIntoTheExpectedStructs) {
  const config::Config c = config::load_string(kDesignExample, "sidecar.yaml", "/etc/mtls");
  EXPECT_EQ(c.path, "");
  EXPECT_EQ(c.admin.listen, (config::HostPort{"127.0.0.1", 9901}));
  EXPECT_EQ(c.workers, 0u);
  EXPECT_EQ(c.identity.source, config::IdentitySource::file);
  EXPECT_EQ(c.identity.file.cert, "/etc/mtls/tls.crt");
  EXPECT_EQ(c.identity.file.key, "/etc/mtls/tls.key");
  EXPECT_EQ(c.identity.file.key_passphrase_file, "/etc/mtls/pass");
  EXPECT_EQ(c.identity.file.key_passphrase_env, "");
  EXPECT_EQ(c.identity.file.poll_interval, minutes(1));
  EXPECT_EQ(c.identity.local_ca.dir, "/etc/mtls/ca/");
  EXPECT_EQ(c.identity.local_ca.spiffe_id, "spiffe://demo.local/ns/default/sa/web");
  EXPECT_EQ(c.identity.local_ca.dns_names, std::vector<std::string>{"web"});
  EXPECT_EQ(c.identity.local_ca.ttl, hours(24));
  EXPECT_EQ(c.identity.acm.certificate_arn, "arn:aws:acm:...");
  EXPECT_EQ(c.identity.acm.region, "us-east-1");
  EXPECT_EQ(c.identity.acm.endpoint, "");
  EXPECT_EQ(c.identity.acm.refresh_interval, hours(1));
  EXPECT_EQ(c.trust.ca_bundle, "/etc/mtls/ca.crt");
  EXPECT_EQ(c.trust.crl, "");
  EXPECT_EQ(c.tls.min_version, "1.2");
  EXPECT_EQ(c.tls.cipher_suites, "");
  EXPECT_TRUE(c.tls.session_resumption);

  ASSERT_EQ(c.inbound.size(), 1u);
  const config::InboundListener& web = c.inbound[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.listen, (config::HostPort{"0.0.0.0", 8443}));
  EXPECT_EQ(web.forward, (config::HostPort{"127.0.0.1", 8080}));
  EXPECT_EQ(web.protocol, config::Protocol::tcp);
  EXPECT_FALSE(web.allow.any);
  EXPECT_EQ(web.allow.spiffe_ids,
            std::vector<std::string>{"spiffe://demo.local/ns/default/sa/frontend"});
  EXPECT_TRUE(web.allow.trust_domains.empty());
  EXPECT_TRUE(web.allow.dns_names.empty());
  EXPECT_TRUE(web.allow.common_names.empty());

  ASSERT_EQ(c.outbound.size(), 1u);
  const config::OutboundListener& orders = c.outbound[0];
  EXPECT_EQ(orders.name, "orders");
  EXPECT_EQ(orders.listen, (config::HostPort{"127.0.0.1", 15001}));
  EXPECT_EQ(orders.forward, (config::HostPort{"orders.default.svc", 8443}));
  EXPECT_EQ(orders.server_name, "orders.default.svc");
  EXPECT_EQ(orders.protocol, config::Protocol::tcp);
  EXPECT_EQ(orders.expect.spiffe_ids,
            std::vector<std::string>{"spiffe://demo.local/ns/default/sa/orders"});

  EXPECT_EQ(c.limits.handshake_timeout, seconds(10));
  EXPECT_EQ(c.limits.connect_timeout, seconds(5));
  EXPECT_EQ(c.limits.idle_timeout, hours(1));
  EXPECT_EQ(c.limits.drain_delay, seconds(5));
  EXPECT_EQ(c.limits.drain_timeout, seconds(30));
  EXPECT_EQ(c.limits.max_connections, 10000u);
  EXPECT_EQ(c.metrics.max_peer_labels, 100u);
}

TEST(ConfigLoader, KeepsDefaultsForEverySectionLeftOut) {
  const config::Config c = config::load_string(R"(identity:
  source: local_ca
  local_ca: { dir: ca, spiffe_id: "spiffe://demo.local/ns/default/sa/web" }
outbound:
  - name: orders
    listen: 127.0.0.1:0
    forward: 10.0.0.7:8443
    expect: { any: true }
)",
                                               "sidecar.yaml");
  EXPECT_EQ(c.admin.listen, (config::HostPort{"127.0.0.1", 9901}));
  EXPECT_EQ(c.workers, 0u);
  EXPECT_EQ(c.identity.local_ca.ttl, hours(24));
  EXPECT_EQ(c.trust.ca_bundle, "");  // local_ca trusts its own CA
  EXPECT_EQ(c.tls.min_version, "1.2");
  EXPECT_EQ(c.limits.idle_timeout, hours(1));
  EXPECT_EQ(c.limits.max_connections, 10000u);
  ASSERT_EQ(c.outbound.size(), 1u);
  EXPECT_EQ(c.outbound[0].listen.port, 0);  // ephemeral: tests bind port 0
  EXPECT_TRUE(c.outbound[0].expect.any);
  EXPECT_EQ(c.outbound[0].server_name, "");  // an IP literal is no SNI name
}

TEST(ConfigLoader, ReadsNullValuesAsLeftOut) {
  const config::Config c = config::load_string(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key, key_passphrase_env: }
trust: { ca_bundle: ca.crt }
tls:
limits:
inbound:
  - name: web
    listen: 0.0.0.0:8443
    forward: 127.0.0.1:8080
    allow: { any: true, spiffe_ids: }
)",
                                               "sidecar.yaml");
  EXPECT_EQ(c.tls.min_version, "1.2");
  EXPECT_EQ(c.identity.file.key_passphrase_env, "");
  EXPECT_TRUE(c.inbound[0].allow.any);
}

TEST(ConfigLoader, ReportsEveryIssueInOneErrorOrderedByPosition) {
  const std::string error = load_error(R"(workers: many
identity:
  source: file
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
inbound:
  - name: web
    listen: 0.0.0.0:8443
    forward: 127.0.0.1:80800
    allow: { any: true }
limits: { idle_timeout: 10 }
)");
  EXPECT_EQ(error,
            "sidecar.yaml:1:1: workers: expected an integer from 0 to 256, got \"many\"\n"
            "sidecar.yaml:9:5: inbound[0].forward: port 80800 is out of range 0..65535\n"
            "sidecar.yaml:11:11: limits.idle_timeout: missing unit in \"10\"; expected a duration "
            "like 10s, 5m, 24h");
  try {
    config::load_string("workers: many\nworkers: 2\n", "x.yaml");
    FAIL() << "loaded";
  } catch (const config::Error& e) {
    ASSERT_EQ(e.issues().size(), 4u);  // workers, identity, no listeners, the duplicate
    EXPECT_EQ(e.issues()[0].file, "x.yaml");
    EXPECT_EQ(e.issues()[0].line, 1);
    EXPECT_EQ(e.issues()[0].column, 1);
    EXPECT_EQ(e.issues()[0].field, "workers");
    EXPECT_EQ(e.issues()[3].line, 2);
    EXPECT_EQ(e.issues()[3].field, "workers");
    EXPECT_EQ(e.issues()[3].message, "duplicate key; first set at line 1");
  }
}

TEST(ConfigLoader, ReportsYamlSyntaxErrorAtItsPosition) {
  EXPECT_EQ(load_error("workers: 1\ninbound: [\n  { name: web }\n", "bad.yaml"),
            "bad.yaml:4:1: invalid YAML: end of sequence flow not found");
}

TEST(ConfigLoader, HintsAtQuotingWhenAnUnquotedIpv6AddressBreaksTheSyntax) {
  EXPECT_EQ(load_error("admin:\n  listen: [::1]:9901\n"),
            "sidecar.yaml:2:16: invalid YAML: end of map not found; quote IPv6 addresses, like "
            "listen: \"[::1]:9901\"");
}

TEST(ConfigLoader, ReportsAnEmptyFileAtTheStart) {
  EXPECT_EQ(load_error(""),
            "sidecar.yaml:1:1: empty config; expected a map of settings (identity, inbound, ...)");
  EXPECT_EQ(load_error("# nothing but a comment\n"),
            "sidecar.yaml:1:1: empty config; expected a map of settings (identity, inbound, ...)");
}

TEST(ConfigLoader, ReportsATopLevelThatIsNotAMapAtTheStart) {
  EXPECT_EQ(load_error("# a list\n- workers: 1\n"),
            "sidecar.yaml:1:1: expected a map of settings at the top level, got a list");
  EXPECT_EQ(load_error("just words"),
            "sidecar.yaml:1:1: expected a map of settings at the top level, got a scalar");
}

TEST(ConfigLoader, RejectsASecondYamlDocument) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
---
workers: 2
)"),
            "sidecar.yaml:8:1: a second YAML document; a config file holds one");
}

}  // namespace

namespace {

// yaml-cpp 0.7's LoadAll never returns on these (issue #1040; found by tests/fuzz, KNOWN-1).
TEST(ConfigLoader, RejectsStreamsThatHangYamlCppLoadAllInsteadOfHanging) {
  for (const char* yaml : {",", ", [", ", 0"}) {
    try {
      mtls::config::load_string(yaml, "sidecar.yaml");
      FAIL() << "accepted " << yaml;
    } catch (const mtls::config::Error& e) {
      EXPECT_FALSE(e.issues().empty()) << yaml;
    }
  }
}

}  // namespace
