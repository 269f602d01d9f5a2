// The small sections: admin, workers, tls, limits, metrics.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

// A valid rest of a config: the line under test goes first, on line 1.
const std::string kRest = R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)";

config::Config load(std::string_view first_line) {
  return config::load_string(std::string(first_line) + "\n" + kRest, "sidecar.yaml");
}

TEST(ConfigSections, RejectsADurationWithoutUnit) {
  EXPECT_EQ(load_error("limits: { handshake_timeout: 10 }\n" + kRest),
            "sidecar.yaml:1:11: limits.handshake_timeout: missing unit in \"10\"; expected a "
            "duration like 10s, 5m, 24h");
}

TEST(ConfigSections, RejectsADurationWithAnUnknownUnit) {
  EXPECT_EQ(load_error("limits:\n  idle_timeout: 2w\n" + kRest),
            "sidecar.yaml:2:3: limits.idle_timeout: unknown unit \"w\" in \"2w\"; expected ms, s, "
            "m, h or d");
}

TEST(ConfigSections, RejectsZeroTimeoutsButAllowsZeroDrainDelay) {
  EXPECT_EQ(load_error("limits: { connect_timeout: 0s }\n" + kRest),
            "sidecar.yaml:1:11: limits.connect_timeout: must be greater than 0");
  EXPECT_EQ(load("limits: { drain_delay: 0 }").limits.drain_delay, config::Duration::zero());
}

TEST(ConfigSections, ReadsEveryLimit) {
  const config::Config c = load(
      "limits: { handshake_timeout: 250ms, connect_timeout: 2s, idle_timeout: 5m, "
      "drain_delay: 1s, drain_timeout: 1m, max_connections: 1 }");
  EXPECT_EQ(c.limits.handshake_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(c.limits.connect_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c.limits.idle_timeout, std::chrono::minutes(5));
  EXPECT_EQ(c.limits.drain_delay, std::chrono::seconds(1));
  EXPECT_EQ(c.limits.drain_timeout, std::chrono::minutes(1));
  EXPECT_EQ(c.limits.max_connections, 1u);
}

TEST(ConfigSections, RejectsZeroMaxConnections) {
  EXPECT_EQ(load_error("limits: { max_connections: 0 }\n" + kRest),
            "sidecar.yaml:1:11: limits.max_connections: expected an integer from 1 to 4294967295, "
            "got \"0\"");
}

TEST(ConfigSections, BoundsWorkers) {
  EXPECT_EQ(load("workers: 256").workers, 256u);
  EXPECT_EQ(load_error("workers: 257\n" + kRest),
            "sidecar.yaml:1:1: workers: expected an integer from 0 to 256, got \"257\"");
  EXPECT_EQ(load_error("workers: -1\n" + kRest),
            "sidecar.yaml:1:1: workers: expected an integer from 0 to 256, got \"-1\"");
}

TEST(ConfigSections, AcceptsOnlyTls12And13) {
  EXPECT_EQ(load("tls: { min_version: 1.3 }").tls.min_version, "1.3");  // unquoted works too
  EXPECT_EQ(load_error("tls: { min_version: \"1.1\" }\n" + kRest),
            "sidecar.yaml:1:8: tls.min_version: unsupported version \"1.1\"; expected \"1.2\" or "
            "\"1.3\"");
  EXPECT_EQ(load_error("tls: { min_version: \"\" }\n" + kRest),
            "sidecar.yaml:1:8: tls.min_version: unsupported version \"\"; expected \"1.2\" or "
            "\"1.3\"");
  EXPECT_EQ(load_error("tls: { min_version: TLSv1.3 }\n" + kRest),
            "sidecar.yaml:1:8: tls.min_version: unsupported version \"TLSv1.3\"; expected \"1.2\" "
            "or \"1.3\"");
}

TEST(ConfigSections, ReadsTlsSettings) {
  const config::Config c =
      load("tls: { cipher_suites: \"ECDHE-ECDSA-AES128-GCM-SHA256\", session_resumption: false }");
  EXPECT_EQ(c.tls.cipher_suites, "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_FALSE(c.tls.session_resumption);
}

TEST(ConfigSections, BoundsResumptionWithSessionMaxAge) {
  EXPECT_EQ(load("workers: 1").tls.session_max_age, std::chrono::hours(1));
  EXPECT_EQ(load("tls: { session_max_age: 250ms }").tls.session_max_age,
            std::chrono::milliseconds(250));
  EXPECT_EQ(load_error("tls: { session_max_age: 0 }\n" + kRest),
            "sidecar.yaml:1:8: tls.session_max_age: must be greater than 0");
  EXPECT_EQ(load_error("tls: { session_max_ag: 1h }\n" + kRest),
            "sidecar.yaml:1:8: tls.session_max_ag: unknown key; did you mean session_max_age?");
  EXPECT_EQ(load_error("limits: { max_connection_ag: 1h }\n" + kRest),
            "sidecar.yaml:1:11: limits.max_connection_ag: unknown key; did you mean "
            "max_connection_age?");
}

TEST(ConfigSections, MaxConnectionAgeIsOffByDefault) {
  EXPECT_EQ(load("workers: 1").limits.max_connection_age, config::Duration::zero());
  EXPECT_EQ(load("limits: { max_connection_age: 30m }").limits.max_connection_age,
            std::chrono::minutes(30));
  EXPECT_EQ(load("limits: { max_connection_age: 0 }").limits.max_connection_age,
            config::Duration::zero());
  EXPECT_EQ(load_error("limits: { max_connection_age: 5 }\n" + kRest),
            "sidecar.yaml:1:11: limits.max_connection_age: missing unit in \"5\"; expected a "
            "duration like 10s, 5m, 24h");
}

TEST(ConfigSections, ValidatesTheAdminAddress) {
  EXPECT_EQ(load("admin: { listen: \"[::1]:9902\" }").admin.listen,
            (config::HostPort{"::1", 9902}));
  EXPECT_EQ(load_error("admin: { listen: localhost }\n" + kRest),
            "sidecar.yaml:1:10: admin.listen: missing port in \"localhost\"; expected host:port, "
            "like 127.0.0.1:8080 or \"[::1]:8080\"");
}

// `run` binds admin.listen as an IP literal; a name used to pass check-config and then stop
// `run` with "Invalid argument". Envoy too requires IP addresses for listeners.
TEST(ConfigSections, RejectsAHostNameAsAdminAddress) {
  EXPECT_EQ(load_error("admin:\n  listen: localhost:9901\n" + kRest),
            "sidecar.yaml:2:3: admin.listen: host \"localhost\" is not an IP address; the admin "
            "server binds an IP literal, like 127.0.0.1:9901 or \"[::1]:9901\"");
  EXPECT_EQ(load("admin: { listen: 0.0.0.0:9901 }").admin.listen,
            (config::HostPort{"0.0.0.0", 9901}));
}

TEST(ConfigSections, ReadsAdminLimits) {
  const config::Config defaults = load("");
  EXPECT_EQ(defaults.admin.idle_timeout, std::chrono::seconds(5));
  EXPECT_EQ(defaults.admin.max_connections, 32u);
  const config::Config c = load("admin: { idle_timeout: 250ms, max_connections: 4 }");
  EXPECT_EQ(c.admin.idle_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(c.admin.max_connections, 4u);
  EXPECT_EQ(load_error("admin: { idle_timeout: 0s }\n" + kRest),
            "sidecar.yaml:1:10: admin.idle_timeout: must be greater than 0");
  EXPECT_EQ(load_error("admin: { max_connections: 0 }\n" + kRest),
            "sidecar.yaml:1:10: admin.max_connections: expected an integer from 1 to 10000, "
            "got \"0\"");
}

TEST(ConfigSections, BoundsMaxPeerLabels) {
  EXPECT_EQ(load("metrics: { max_peer_labels: 0 }").metrics.max_peer_labels, 0u);
  EXPECT_EQ(load_error("metrics: { max_peer_labels: 1e3 }\n" + kRest),
            "sidecar.yaml:1:12: metrics.max_peer_labels: expected an integer from 0 to 100000, "
            "got \"1e3\"");
}

TEST(ConfigSections, ReadsFileIdentityPollInterval) {
  EXPECT_EQ(config::load_string(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key, poll_interval: 30s, key_passphrase_env: KEY_PASS }
trust: { ca_bundle: ca.crt }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)",
                                "sidecar.yaml")
                .identity.file.poll_interval,
            std::chrono::seconds(30));
}

}  // namespace
