// forward: original_dst without a firewall: the destinations map picks a rule by exact address
// and port, and a connection made straight to the listener (no REDIRECT) has no usable original
// destination, so it can never be forwarded back to the listener itself.

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>

#include "proxy/original_dst.hpp"

namespace mtls::proxy {
namespace {

tcp::endpoint at(const char* address, std::uint16_t port) {
  return {net::ip::make_address(address), port};
}

TEST(OriginalDst, PicksTheRuleOfTheExactAddressAndPort) {
  std::vector<DestinationRule> rules;
  rules.push_back({at("198.18.0.20", 80), {"b.demo.local", true, {}}});
  rules.push_back({at("198.18.0.20", 443), {"c.demo.local", true, {}}});
  rules.push_back({at("2001:db8::1", 80), {"d.demo.local", true, {}}});

  ASSERT_NE(rule_for(rules, at("198.18.0.20", 443)), nullptr);
  EXPECT_EQ(rule_for(rules, at("198.18.0.20", 443))->target.server_name, "c.demo.local");
  EXPECT_EQ(rule_for(rules, at("198.18.0.20", 80))->target.server_name, "b.demo.local");
  EXPECT_EQ(rule_for(rules, at("2001:db8::1", 80))->target.server_name, "d.demo.local");
  EXPECT_EQ(rule_for(rules, at("198.18.0.20", 8080)), nullptr);  // another port: the default
  EXPECT_EQ(rule_for(rules, at("198.18.0.21", 80)), nullptr);
  EXPECT_EQ(rule_for({}, at("198.18.0.20", 80)), nullptr);
}

// Without a REDIRECT the kernel has either no NAT record (ENOENT) or, with conntrack loaded, the
// connection's own destination: the listener. Both must come back as "none".
TEST(OriginalDst, AConnectionStraightToTheListenerHasNone) {
  net::io_context io;
  tcp::acceptor acceptor(io, at("127.0.0.1", 0));
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket accepted = acceptor.accept();

  std::string why;
  EXPECT_EQ(original_destination(accepted, why), std::nullopt);
  EXPECT_FALSE(why.empty());
}

}  // namespace
}  // namespace mtls::proxy
