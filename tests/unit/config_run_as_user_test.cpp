// run_as_user: optional, a user name or a numeric uid; whether the user exists is a start-up
// question (proxy/sandbox), not a config one.

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

std::string load_error(std::string_view first_line) {
  try {
    config::load_string(std::string(first_line) + "\n" + kRest, "sidecar.yaml");
    return "loaded";
  } catch (const config::Error& e) {
    return e.what();
  }
}

std::string user_of(std::string_view first_line) {
  return config::load_string(std::string(first_line) + "\n" + kRest, "sidecar.yaml").run_as_user;
}

TEST(ConfigRunAsUser, IsEmptyByDefault) {
  EXPECT_EQ(config::load_string(kRest, "sidecar.yaml").run_as_user, "");
  EXPECT_EQ(user_of("run_as_user: \"\""), "");
}

TEST(ConfigRunAsUser, AcceptsUserNamesAndNumericUids) {
  EXPECT_EQ(user_of("run_as_user: nobody"), "nobody");
  EXPECT_EQ(user_of("run_as_user: mtls-sidecar"), "mtls-sidecar");
  EXPECT_EQ(user_of("run_as_user: svc_web.1"), "svc_web.1");
  EXPECT_EQ(user_of("run_as_user: 65534"), "65534");
}

TEST(ConfigRunAsUser, RejectsWhatCannotBeAUserAtItsPosition) {
  EXPECT_EQ(load_error("run_as_user: \"no body\""),
            "sidecar.yaml:1:1: run_as_user: \"no body\" is not a user name (letters, digits, "
            "'_', '.', '-'; at most 32) or a uid");
  EXPECT_EQ(load_error("run_as_user: -x"),
            "sidecar.yaml:1:1: run_as_user: \"-x\" is not a user name (letters, digits, '_', "
            "'.', '-'; at most 32) or a uid");
  EXPECT_EQ(load_error("run_as_user: 99999999999"),
            "sidecar.yaml:1:1: run_as_user: \"99999999999\" is not a valid uid (0..4294967294)");
}

TEST(ConfigRunAsUser, RejectsAList) {
  EXPECT_NE(load_error("run_as_user: [a, b]").find("sidecar.yaml:1:1: run_as_user:"),
            std::string::npos);
}

}  // namespace
