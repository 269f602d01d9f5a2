// Endpoint and region resolution for AWS calls, in the AWS SDK precedence.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "certs/aws/endpoints.hpp"

namespace mtls::certs::aws {
namespace {

TEST(AwsEndpoints, ParsesTheUrlsOperatorsWrite) {
  Url u = parse_url("https://acm.us-east-1.amazonaws.com");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "acm.us-east-1.amazonaws.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(u.host_header(), "acm.us-east-1.amazonaws.com");
  u = parse_url("http://127.0.0.1:4566/prefix");
  EXPECT_EQ(u.port, 4566);
  EXPECT_EQ(u.path, "/prefix");
  EXPECT_EQ(u.host_header(), "127.0.0.1:4566");
  u = parse_url("http://[fd00:ec2::254]/");
  EXPECT_EQ(u.host, "fd00:ec2::254");
  EXPECT_EQ(u.host_header(), "[fd00:ec2::254]");
  EXPECT_EQ(parse_url("https://[::1]:8443").host_header(), "[::1]:8443");
}

TEST(AwsEndpoints, RefusesWhatIsNotAPlainEndpoint) {
  for (const char* bad : {"acm.example.com", "ftp://x", "https://", "https://:443", "https://h:0",
                          "https://h:99999", "https://h:", "https://h:12ab", "https://u@h",
                          "https://h/?q", "https://[::1", "https://[::1]x"}) {
    EXPECT_THROW(parse_url(bad), std::invalid_argument) << bad;
  }
}

TEST(AwsEndpoints, ConfiguredThenServiceVariableThenGlobalThenRegionalDefault) {
  std::map<std::string, std::string> vars = {{"AWS_ENDPOINT_URL_ACM", "http://127.0.0.1:1"},
                                             {"AWS_ENDPOINT_URL", "http://127.0.0.1:2"}};
  EXPECT_EQ(resolve_endpoint(kAcm, "https://acm.local:9", "us-east-1", fixed_environment(vars))
                .url.host_header(),
            "acm.local:9");
  ResolvedEndpoint e = resolve_endpoint(kAcm, "", "us-east-1", fixed_environment(vars));
  EXPECT_EQ(e.url.port, 1);
  EXPECT_EQ(e.source, "AWS_ENDPOINT_URL_ACM");
  e = resolve_endpoint(kAcmPca, "", "us-east-1", fixed_environment(vars));
  EXPECT_EQ(e.url.port, 2);
  EXPECT_EQ(e.source, "AWS_ENDPOINT_URL");
  vars["AWS_ENDPOINT_URL_ACM_PCA"] = "http://127.0.0.1:3";
  EXPECT_EQ(resolve_endpoint(kAcmPca, "", "us-east-1", fixed_environment(vars)).url.port, 3);
  vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  e = resolve_endpoint(kAcmPca, "", "eu-west-1", fixed_environment(vars));
  EXPECT_EQ(e.source, "default");
  EXPECT_EQ(e.url.host_header(), "acm-pca.eu-west-1.amazonaws.com");
}

TEST(AwsEndpoints, DefaultsFollowThePartition) {
  const Environment none = fixed_environment({});
  EXPECT_EQ(resolve_endpoint(kKms, "", "cn-north-1", none).url.host,
            "kms.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(resolve_endpoint(kSts, "", "us-gov-west-1", none).url.host,
            "sts.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(kSts, "", "us-iso-east-1", none).url.host,
            "sts.us-iso-east-1.c2s.ic.gov");
}

TEST(AwsEndpoints, RegionIsNeverSplicedIntoAHostUnchecked) {
  const Environment none = fixed_environment({});
  for (const char* bad : {"", "evil.com/", "us-east-1.attacker.net", "US-EAST-1", "-x"}) {
    EXPECT_THROW(resolve_endpoint(kAcm, "", bad, none), std::invalid_argument) << bad;
  }
}

TEST(AwsRegion, ConfiguredThenAwsRegionThenDefaultRegionThenProfile) {
  char tmpl[] = "/tmp/mtls-aws-region-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  std::ofstream(dir + "/config") << "[profile dev]\nregion = ap-south-1\n";
  std::map<std::string, std::string> vars = {{"AWS_REGION", "eu-west-1"},
                                             {"AWS_DEFAULT_REGION", "eu-west-2"},
                                             {"AWS_CONFIG_FILE", dir + "/config"},
                                             {"AWS_SHARED_CREDENTIALS_FILE", dir + "/none"},
                                             {"AWS_PROFILE", "dev"}};
  EXPECT_EQ(resolve_region("us-east-1", fixed_environment(vars))->source, "configured");
  EXPECT_EQ(resolve_region("", fixed_environment(vars))->region, "eu-west-1");
  vars.erase("AWS_REGION");
  EXPECT_EQ(resolve_region("", fixed_environment(vars))->region, "eu-west-2");
  vars.erase("AWS_DEFAULT_REGION");
  auto r = resolve_region("", fixed_environment(vars));
  EXPECT_EQ(r->region, "ap-south-1");
  EXPECT_EQ(r->source, "profile dev (" + dir + "/config)");
  vars["AWS_PROFILE"] = "";  // the default profile has no region
  EXPECT_FALSE(resolve_region("", fixed_environment(vars)));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mtls::certs::aws
