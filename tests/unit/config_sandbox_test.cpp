// sandbox.seccomp: on unless turned off; typos and wrong types at their FILE:LINE:COL.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.hpp"

namespace {

namespace config = mtls::config;

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

std::string load_error(std::string_view first_line) {
  try {
    load(first_line);
    return "loaded";
  } catch (const config::Error& e) {
    return e.what();
  }
}

TEST(ConfigSandbox, SeccompIsOnByDefault) {
  EXPECT_TRUE(config::load_string(kRest, "sidecar.yaml").sandbox.seccomp);
  EXPECT_TRUE(load("sandbox: {}").sandbox.seccomp);
  EXPECT_TRUE(load("sandbox: { seccomp: true }").sandbox.seccomp);
}

TEST(ConfigSandbox, SeccompCanBeTurnedOff) {
  EXPECT_FALSE(load("sandbox: { seccomp: false }").sandbox.seccomp);
}

TEST(ConfigSandbox, ReportsMistakesAtTheirPosition) {
  EXPECT_EQ(load_error("sandbox: { seccmp: false }"),
            "sidecar.yaml:1:12: sandbox.seccmp: unknown key; did you mean seccomp?");
  EXPECT_EQ(load_error("sandbox: { seccomp: maybe }"),
            "sidecar.yaml:1:12: sandbox.seccomp: expected true or false, got \"maybe\"");
  EXPECT_EQ(load_error("sandbx: { seccomp: false }"),
            "sidecar.yaml:1:1: sandbx: unknown key; did you mean sandbox?");
}

}  // namespace
