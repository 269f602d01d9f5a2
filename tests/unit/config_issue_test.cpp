// Issue::to_string and Error::what(): the format users and scripts read.

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace {

namespace config = mtls::config;

TEST(ConfigIssue, FormatsFileLineColumnFieldAndMessage) {
  const config::Issue issue{"sidecar.yaml", 12, 5, "inbound[0].allow", "empty allow-list"};
  EXPECT_EQ(issue.to_string(), "sidecar.yaml:12:5: inbound[0].allow: empty allow-list");
}

TEST(ConfigIssue, LeavesOutAnEmptyField) {
  EXPECT_EQ((config::Issue{"a.yaml", 3, 1, "", "invalid YAML: x"}).to_string(),
            "a.yaml:3:1: invalid YAML: x");
}

TEST(ConfigIssue, LeavesOutThePositionOfAFileWideIssue) {
  EXPECT_EQ(
      (config::Issue{"a.yaml", 0, 0, "", "cannot open: No such file or directory"}).to_string(),
      "a.yaml: cannot open: No such file or directory");
}

TEST(ConfigError, JoinsItsIssuesWithNewlines) {
  const config::Error error({{"a.yaml", 1, 1, "workers", "one"}, {"a.yaml", 2, 3, "tls", "two"}});
  EXPECT_STREQ(error.what(), "a.yaml:1:1: workers: one\na.yaml:2:3: tls: two");
  EXPECT_EQ(error.issues().size(), 2u);
}

}  // namespace
