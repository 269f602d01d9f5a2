// The http: section (limits, timeouts, identity headers, access log of protocol: http).

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

// A valid rest of a config with an HTTP listener: the lines under test go first.
const std::string kRest = R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, protocol: http,
      allow: { any: true } }
)";

config::Config load(std::string_view first_lines) {
  return config::load_string(std::string(first_lines) + "\n" + kRest, "sidecar.yaml");
}

TEST(ConfigHttp, DefaultsWithoutTheSection) {
  const config::Config c = load("");
  EXPECT_EQ(c.inbound[0].protocol, config::Protocol::http);
  EXPECT_EQ(c.http.max_header_bytes, 16u * 1024);
  EXPECT_EQ(c.http.max_body_bytes, 0u);
  EXPECT_EQ(c.http.request_timeout, std::chrono::seconds(30));
  EXPECT_EQ(c.http.idle_timeout, std::chrono::hours(1));
  EXPECT_TRUE(c.http.identity_headers.spiffe_id.empty());
  EXPECT_FALSE(c.http.access_log);
}

TEST(ConfigHttp, ReadsEveryKey) {
  const config::Config c = load(
      "http:\n"
      "  max_header_bytes: 32768\n"
      "  max_body_bytes: 1048576\n"
      "  request_timeout: 5s\n"
      "  idle_timeout: 2m\n"
      "  access_log: true\n"
      "  identity_headers: { spiffe_id: x-client-spiffe-id, dns_names: x-client-dns,\n"
      "                      subject: x-client-subject, hash: x-client-cert-hash }");
  EXPECT_EQ(c.http.max_header_bytes, 32768u);
  EXPECT_EQ(c.http.max_body_bytes, 1048576u);
  EXPECT_EQ(c.http.request_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c.http.idle_timeout, std::chrono::minutes(2));
  EXPECT_TRUE(c.http.access_log);
  EXPECT_EQ(c.http.identity_headers.spiffe_id, "x-client-spiffe-id");
  EXPECT_EQ(c.http.identity_headers.dns_names, "x-client-dns");
  EXPECT_EQ(c.http.identity_headers.subject, "x-client-subject");
  EXPECT_EQ(c.http.identity_headers.hash, "x-client-cert-hash");
}

TEST(ConfigHttp, UnknownKeysSuggestTheNearestOne) {
  EXPECT_EQ(load_error("http: { max_header_byte: 1 }\n" + kRest),
            "sidecar.yaml:1:9: http.max_header_byte: unknown key; did you mean max_header_bytes?");
  EXPECT_EQ(load_error("http:\n  identity_headers: { spifee_id: x-id }\n" + kRest),
            "sidecar.yaml:2:23: http.identity_headers.spifee_id: unknown key; did you mean "
            "spiffe_id?");
}

TEST(ConfigHttp, RejectsHeaderLimitsOutOfRange) {
  EXPECT_EQ(load_error("http: { max_header_bytes: 100 }\n" + kRest),
            "sidecar.yaml:1:9: http.max_header_bytes: expected an integer from 1024 to 1048576, "
            "got \"100\"");
}

TEST(ConfigHttp, RejectsZeroTimeouts) {
  EXPECT_EQ(load_error("http: { request_timeout: 0s }\n" + kRest),
            "sidecar.yaml:1:9: http.request_timeout: must be greater than 0");
}

TEST(ConfigHttp, RejectsIdentityHeadersThatAreNotHeaderNames) {
  EXPECT_EQ(load_error("http:\n  identity_headers: { spiffe_id: \"x client\" }\n" + kRest),
            "sidecar.yaml:2:23: http.identity_headers.spiffe_id: \"x client\" is not a header "
            "name (letters, digits and !#$%&'*+-.^_`|~)");
}

TEST(ConfigHttp, RejectsIdentityHeadersTheProxyOwns) {
  EXPECT_EQ(load_error("http:\n  identity_headers: { hash: X-Forwarded-Client-Cert }\n" + kRest),
            "sidecar.yaml:2:23: http.identity_headers.hash: \"X-Forwarded-Client-Cert\" is a "
            "header the proxy reads or sets itself; choose another");
  EXPECT_EQ(load_error("http:\n  identity_headers: { hash: content-length }\n" + kRest),
            "sidecar.yaml:2:23: http.identity_headers.hash: \"content-length\" is a header the "
            "proxy reads or sets itself; choose another");
}

TEST(ConfigHttp, RejectsOneHeaderForTwoKeys) {
  EXPECT_EQ(load_error("http:\n  identity_headers: { spiffe_id: x-id, hash: X-ID }\n" + kRest),
            "sidecar.yaml:2:40: http.identity_headers.hash: header \"X-ID\" is already set by "
            "another identity header");
}

}  // namespace
