// The typed YAML reader, through the loader: unknown keys, duplicate keys, wrong types, and
// where each issue points.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

// A valid rest of a config, for tests that put the line under test first.
const std::string kRest = R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)";

TEST(ConfigYamlReader, RejectsUnknownKeyAtTheKey) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
  colour: blue
trust: { ca_bundle: ca.crt }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)"),
            "sidecar.yaml:4:3: identity.colour: unknown key");
}

TEST(ConfigYamlReader, SuggestsTheKnownKeyForATypo) {
  EXPECT_EQ(load_error("limits: { handshake_timout: 5s }\n" + kRest),
            "sidecar.yaml:1:11: limits.handshake_timout: unknown key; did you mean "
            "handshake_timeout?");
}

TEST(ConfigYamlReader, RejectsUnknownTopLevelKey) {
  EXPECT_EQ(load_error("listeners: []\n" + kRest), "sidecar.yaml:1:1: listeners: unknown key");
}

TEST(ConfigYamlReader, RejectsDuplicateKeyAtSecondOccurrence) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
inbound:
  - name: web
    listen: 0.0.0.0:8443
    forward: 127.0.0.1:8080
    allow: { any: true }
    listen: 0.0.0.0:9443
)"),
            "sidecar.yaml:10:5: inbound[0].listen: duplicate key; first set at line 7");
}

TEST(ConfigYamlReader, RejectsDuplicateKeyInAFlowMap) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key, cert: b.crt }
trust: { ca_bundle: ca.crt }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)"),
            "sidecar.yaml:3:36: identity.file.cert: duplicate key; first set at line 3");
}

TEST(ConfigYamlReader, RejectsDuplicateTopLevelSection) {
  EXPECT_EQ(load_error("workers: 1\n" + kRest + "workers: 2\n"),
            "sidecar.yaml:8:1: workers: duplicate key; first set at line 1");
}

TEST(ConfigYamlReader, RejectsMergeKeysWhichYamlCppDoesNotExpand) {
  EXPECT_EQ(load_error("limits: { <<: { idle_timeout: 5m } }\n" + kRest),
            "sidecar.yaml:1:11: limits.<<: merge keys are not supported; write the keys out");
}

TEST(ConfigYamlReader, RejectsAListWhereAMapIsExpected) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: [a.crt, a.key]
trust: { ca_bundle: ca.crt }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)"),
            "sidecar.yaml:3:3: identity.file: expected a map, got a list");
}

TEST(ConfigYamlReader, RejectsWordsWhereANumberIsExpected) {
  EXPECT_EQ(load_error("workers: abc\n" + kRest),
            "sidecar.yaml:1:1: workers: expected an integer from 0 to 256, got \"abc\"");
}

TEST(ConfigYamlReader, RejectsAMapWhereAStringIsExpected) {
  EXPECT_EQ(load_error(R"(trust: { ca_bundle: { path: ca.crt } }
identity: { source: file, file: { cert: a.crt, key: a.key } }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)"),
            "sidecar.yaml:1:10: trust.ca_bundle: expected a string, got a map");
}

TEST(ConfigYamlReader, RejectsAScalarWhereAListIsExpected) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
inbound: web
)"),
            "sidecar.yaml:5:1: inbound: expected a list, got \"web\"");
}

TEST(ConfigYamlReader, RejectsAListItemThatIsNotAMap) {
  EXPECT_EQ(load_error(R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
inbound:
  - web
)"),
            "sidecar.yaml:6:5: inbound[0]: expected a map, got \"web\"");
}

TEST(ConfigYamlReader, RejectsYamlOneOnlyBooleans) {
  EXPECT_EQ(load_error("tls: { session_resumption: yes }\n" + kRest),
            "sidecar.yaml:1:8: tls.session_resumption: expected true or false, got \"yes\"");
}

TEST(ConfigYamlReader, RejectsAnEmptyStringInAList) {
  EXPECT_EQ(load_error(R"(identity:
  source: local_ca
  local_ca: { dir: ca, spiffe_id: "spiffe://demo.local/ns/default/sa/web", dns_names: [web, ""] }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)"),
            "sidecar.yaml:3:93: identity.local_ca.dns_names[1]: must not be empty");
}

}  // namespace
