// parse_host_port and HostPort::to_string.

#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"

namespace {

namespace config = mtls::config;

config::HostPort parsed(std::string_view text) {
  config::HostPort out;
  std::string why;
  EXPECT_TRUE(config::parse_host_port(text, out, why)) << text << ": " << why;
  return out;
}

std::string why_not(std::string_view text) {
  config::HostPort out{"untouched", 1};
  std::string why;
  EXPECT_FALSE(config::parse_host_port(text, out, why)) << text;
  EXPECT_EQ(out, (config::HostPort{"untouched", 1}));
  return why;
}

TEST(ParseHostPort, ReadsIpv4NamesAndBracketedIpv6) {
  EXPECT_EQ(parsed("127.0.0.1:8080"), (config::HostPort{"127.0.0.1", 8080}));
  EXPECT_EQ(parsed("orders.default.svc:8443"), (config::HostPort{"orders.default.svc", 8443}));
  EXPECT_EQ(parsed("my_service:80"), (config::HostPort{"my_service", 80}));
  EXPECT_EQ(parsed("[::1]:9901"), (config::HostPort{"::1", 9901}));
  EXPECT_EQ(parsed("[::]:0"), (config::HostPort{"::", 0}));
  EXPECT_EQ(parsed("[fe80::1%eth0]:80"), (config::HostPort{"fe80::1%eth0", 80}));
}

TEST(ParseHostPort, ReadsThePortRangeEdges) {
  EXPECT_EQ(parsed("0.0.0.0:0").port, 0);
  EXPECT_EQ(parsed("0.0.0.0:65535").port, 65535);
  EXPECT_EQ(why_not("0.0.0.0:65536"), "port 65536 is out of range 0..65535");
  EXPECT_EQ(why_not("0.0.0.0:99999999999999999999"),
            "port 99999999999999999999 is out of range 0..65535");
}

TEST(ParseHostPort, RejectsUnbracketedIpv6) {
  EXPECT_EQ(why_not("::1:9901"),
            "IPv6 address without brackets in \"::1:9901\"; write it like \"[::1]:9901\"");
  EXPECT_EQ(why_not("fe80::1"),
            "IPv6 address without brackets in \"fe80::1\"; write it like \"[::1]:9901\"");
}

TEST(ParseHostPort, RejectsMissingParts) {
  EXPECT_EQ(why_not(""),
            "empty address; expected host:port, like 127.0.0.1:8080 or \"[::1]:8080\"");
  EXPECT_EQ(
      why_not("localhost"),
      "missing port in \"localhost\"; expected host:port, like 127.0.0.1:8080 or \"[::1]:8080\"");
  EXPECT_EQ(
      why_not("localhost:"),
      "missing port in \"localhost:\"; expected host:port, like 127.0.0.1:8080 or \"[::1]:8080\"");
  EXPECT_EQ(why_not("[::1]"),
            "missing port in \"[::1]\"; expected host:port, like 127.0.0.1:8080 or \"[::1]:8080\"");
  EXPECT_EQ(why_not(":8080"),
            "missing host in \":8080\"; use 0.0.0.0:8080 for every IPv4 interface");
  EXPECT_EQ(why_not("8080"), "missing host in \"8080\"; use 0.0.0.0:8080 for every IPv4 interface");
}

TEST(ParseHostPort, RejectsBadHostsAndPorts) {
  EXPECT_EQ(why_not("localhost:http"), "port \"http\" is not a number");
  EXPECT_EQ(why_not("localhost:-1"), "port \"-1\" is not a number");
  EXPECT_EQ(why_not("999.0.0.1:80"), "invalid IPv4 address \"999.0.0.1\"");
  EXPECT_EQ(why_not("[::g]:80"), "invalid IPv6 address \"::g\"");
  EXPECT_EQ(why_not("[1.2.3.4]:80"), "invalid IPv6 address \"1.2.3.4\"");
  EXPECT_EQ(
      why_not("[::1:80"),
      "missing ']' in \"[::1:80\"; expected host:port, like 127.0.0.1:8080 or \"[::1]:8080\"");
  EXPECT_EQ(why_not("[::1]80"), "expected \":port\" after ']' in \"[::1]80\"");
  EXPECT_EQ(why_not("bad host:80"), "invalid host name \"bad host\": unexpected character ' '");
  EXPECT_EQ(why_not("a..b:80"),
            "invalid host name \"a..b\": labels are 1 to 63 letters, digits, '-' or '_', "
            "separated by dots");
  EXPECT_EQ(why_not("-a.b:80"),
            "invalid host name \"-a.b\": labels are 1 to 63 letters, digits, '-' or '_', "
            "separated by dots");
}

TEST(HostPort, BracketsIpv6WhenPrinted) {
  EXPECT_EQ((config::HostPort{"::1", 9901}).to_string(), "[::1]:9901");
  EXPECT_EQ((config::HostPort{"127.0.0.1", 0}).to_string(), "127.0.0.1:0");
  EXPECT_EQ((config::HostPort{"orders.svc", 8443}).to_string(), "orders.svc:8443");
  EXPECT_EQ(parsed(parsed("[::1]:9901").to_string()), (config::HostPort{"::1", 9901}));
}

}  // namespace
