// Syntax of SPIFFE IDs, trust domains, listener names and the other names a config holds.

#include <gtest/gtest.h>

#include <string>

#include "config/names.hpp"

namespace {

namespace detail = mtls::config::detail;

using CheckFn = bool (*)(std::string_view, std::string&);

std::string why_not(CheckFn check, std::string_view text) {
  std::string why;
  EXPECT_FALSE(check(text, why)) << text;
  return why;
}

bool ok(CheckFn check, std::string_view text) {
  std::string why;
  const bool result = check(text, why);
  EXPECT_TRUE(result) << text << ": " << why;
  return result;
}

TEST(SpiffeId, AcceptsWorkloadIds) {
  EXPECT_TRUE(ok(detail::check_spiffe_id, "spiffe://demo.local/ns/default/sa/web"));
  EXPECT_TRUE(ok(detail::check_spiffe_id, "spiffe://example.org/Service_1/x.y-z"));
}

TEST(SpiffeId, RejectsWhatTheSpecForbids) {
  EXPECT_EQ(why_not(detail::check_spiffe_id, "https://demo.local/x"),
            "\"https://demo.local/x\" must start with spiffe://");
  EXPECT_EQ(why_not(detail::check_spiffe_id, "SPIFFE://demo.local/x"),
            "\"SPIFFE://demo.local/x\" must start with spiffe://");
  EXPECT_EQ(why_not(detail::check_spiffe_id, "spiffe:///ns/x"),
            "\"spiffe:///ns/x\" has no trust domain");
  EXPECT_EQ(why_not(detail::check_spiffe_id, "spiffe://Demo.local/x"),
            "\"spiffe://Demo.local/x\": a trust domain may contain only lowercase letters, digits, "
            "'.', '-' and '_'");
  EXPECT_EQ(why_not(detail::check_spiffe_id, "spiffe://demo.local:443/x"),
            "\"spiffe://demo.local:443/x\": a trust domain may contain only lowercase letters, "
            "digits, '.', '-' and '_'");
  EXPECT_EQ(why_not(detail::check_spiffe_id, "spiffe://demo.local"),
            "\"spiffe://demo.local\" has no path, like spiffe://demo.local/ns/default/sa/web");
  EXPECT_EQ(why_not(detail::check_spiffe_id, "spiffe://demo.local/ns/"),
            "\"spiffe://demo.local/ns/\": path segments must not be empty, '.' or '..'");
  EXPECT_EQ(why_not(detail::check_spiffe_id, "spiffe://demo.local/a/../b"),
            "\"spiffe://demo.local/a/../b\": path segments must not be empty, '.' or '..'");
  EXPECT_EQ(why_not(detail::check_spiffe_id, "spiffe://demo.local/a?b"),
            "\"spiffe://demo.local/a?b\": a path may contain only letters, digits, '.', '-', '_' "
            "and '/'");
}

TEST(TrustDomain, AcceptsBareNamesOnly) {
  EXPECT_TRUE(ok(detail::check_trust_domain, "demo.local"));
  EXPECT_EQ(why_not(detail::check_trust_domain, "demo.local/ns"),
            "\"demo.local/ns\": a trust domain has no path; list full IDs in spiffe_ids");
  EXPECT_EQ(why_not(detail::check_trust_domain, "Demo"),
            "\"Demo\": a trust domain may contain only lowercase letters, digits, '.', '-' and "
            "'_'");
}

TEST(ListenerName, AcceptsMetricLabelCharacters) {
  EXPECT_TRUE(ok(detail::check_listener_name, "web-1.v2_a"));
  EXPECT_EQ(why_not(detail::check_listener_name, "web/1"),
            "\"web/1\" may contain only letters, digits, '_', '.' and '-' (it is a metric label)");
}

TEST(HostName, TakesAnAllNumericNameForAMistypedAddress) {
  EXPECT_TRUE(ok(detail::check_host_name, "orders.default.svc"));
  EXPECT_TRUE(ok(detail::check_host_name, "3com.example"));
  EXPECT_EQ(why_not(detail::check_host_name, "10.0.0.256"), "invalid IPv4 address \"10.0.0.256\"");
  EXPECT_EQ(why_not(detail::check_host_name, std::string(64, 'a') + ".b"),
            "invalid host name \"" + std::string(64, 'a') +
                ".b\": labels are 1 to 63 letters, digits, '-' or '_', separated by dots");
}

TEST(IpLiteral, RecognisesBothFamilies) {
  EXPECT_TRUE(detail::is_ip_literal("10.1.2.3"));
  EXPECT_TRUE(detail::is_ip_literal("fd00::7"));
  EXPECT_TRUE(detail::is_ip_literal("fe80::1%eth0"));
  EXPECT_FALSE(detail::is_ip_literal("fe80::1%"));
  EXPECT_FALSE(detail::is_ip_literal("orders.svc"));
  EXPECT_FALSE(detail::is_ip_literal(""));
}

TEST(AwsNames, CheckArnRegionAndEndpoint) {
  EXPECT_TRUE(ok(detail::check_acm_arn, "arn:aws-cn:acm:cn-north-1:1:certificate/x"));
  EXPECT_TRUE(ok(detail::check_aws_region, "us-gov-west-1"));
  EXPECT_TRUE(ok(detail::check_endpoint_url, "https://acm.us-east-1.amazonaws.com"));
  EXPECT_EQ(why_not(detail::check_endpoint_url, "acm.local:4566"),
            "\"acm.local:4566\" must start with https:// (or http:// for a local test endpoint)");
  EXPECT_EQ(why_not(detail::check_endpoint_url, "https://"),
            "\"https://\" must start with https:// (or http:// for a local test endpoint)");
}

TEST(EnvName, FollowsShellRules) {
  EXPECT_TRUE(ok(detail::check_env_name, "_KEY_PASS1"));
  EXPECT_EQ(why_not(detail::check_env_name, "1PASS"),
            "\"1PASS\" is not an environment variable name (letters, digits, '_')");
}

}  // namespace
