// Diagnostics: where a field is, which fields already have issues, and the order of issues.

#include <gtest/gtest.h>

#include <vector>

#include "config/diagnostics.hpp"

namespace {

namespace config = mtls::config;
namespace detail = mtls::config::detail;

TEST(Diagnostics, PointsAFieldThatIsNotWrittenAtTheMapThatShouldHoldIt) {
  detail::Diagnostics diag("f.yaml");
  diag.record_map("", {1, 1});
  diag.record_map("inbound[0]", {6, 5});
  diag.record_key("inbound[0].listen", {7, 5});
  EXPECT_EQ(diag.where("inbound[0].listen").line, 7);
  EXPECT_EQ(diag.where("inbound[0].allow").line, 6);
  EXPECT_EQ(diag.where("inbound[0].allow.any").line, 6);
  EXPECT_EQ(diag.where("trust.ca_bundle").line, 1);
}

TEST(Diagnostics, CountsIssuesOfTheFieldItsChildrenAndItsHolders) {
  detail::Diagnostics diag("f.yaml");
  diag.add({2, 1}, "inbound[0]", "expected a map, got \"web\"");
  diag.add({3, 1}, "identity.file.cert", "must not be empty");
  EXPECT_TRUE(diag.has_issue("inbound[0].allow"));  // its holder is broken
  EXPECT_TRUE(diag.has_issue("identity.file"));     // a child is broken
  EXPECT_FALSE(diag.has_issue("inbound[1]"));
  EXPECT_FALSE(diag.has_issue("identity.file.certificate"));
  EXPECT_FALSE(diag.has_issue("identity.source"));
}

TEST(Diagnostics, OrdersIssuesByPosition) {
  detail::Diagnostics diag("f.yaml");
  diag.add({9, 1}, "b", "second");
  diag.add({2, 7}, "a", "first");
  diag.add({9, 1}, "c", "third");
  const std::vector<config::Issue> issues = diag.take();
  ASSERT_EQ(issues.size(), 3u);
  EXPECT_EQ(issues[0].message, "first");
  EXPECT_EQ(issues[1].message, "second");
  EXPECT_EQ(issues[2].message, "third");
}

}  // namespace
