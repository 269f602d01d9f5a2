// HTTP mode, inbound route rules (allow.routes): a peer the handshake admitted may still send only
// the methods and paths a rule gives it. A refused request gets 403 (an ambiguous path 400) and
// never reaches the app, and the caller's connection stays usable.

#include <gtest/gtest.h>

#include "tests/support/http_pair.hpp"

namespace mtls::test {
namespace {

// The frontend may GET under /api/ and nothing else; nobody else has a rule.
void read_api_only(config::Config& c) {
  for (config::InboundListener& in : c.inbound) {
    config::RouteRule rule;
    rule.name = "frontend-reads-api";
    rule.peers.spiffe_ids = {kFrontendId};
    rule.prefixes = {"/api/"};
    rule.methods = {"GET"};
    in.routes = {rule};
  }
}

std::string get(const std::string& method, const std::string& path, const std::string& extra = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: backend.local\r\nContent-Length: 0\r\n" + extra +
         "\r\n";
}

TEST(HttpRoutes, ARuleAllowsItsMethodAndPrefixAndRefusesTheRestOnTheSameConnection) {
  HttpPair pair(read_api_only);
  HttpConnection app(pair.outbound_port());
  ASSERT_TRUE(app.connected());

  ASSERT_TRUE(app.send(get("GET", "/api/orders")));
  EXPECT_EQ(app.read_reply().status, 200);

  ASSERT_TRUE(app.send(get("POST", "/api/orders")));  // the method is not in the rule
  const HttpReply post = app.read_reply();
  EXPECT_EQ(post.status, 403) << post.head;
  EXPECT_FALSE(post.body.empty());

  ASSERT_TRUE(app.send(get("GET", "/admin/users")));  // the path is outside the prefix
  EXPECT_EQ(app.read_reply().status, 403);

  ASSERT_TRUE(app.send(get("GET", "/apix")));  // prefixes match whole segments
  EXPECT_EQ(app.read_reply().status, 403);

  // Still the same connection, still usable after three refusals.
  ASSERT_TRUE(app.send(get("GET", "/api/health")));
  EXPECT_EQ(app.read_reply().status, 200);

  EXPECT_EQ(pair.wait_inbound_metric("mtls_http_errors_total", {{"reason", "route_denied"}}, 3), 3);
  EXPECT_EQ(pair.wait_inbound_metric("mtls_http_requests_total",
                                     {{"method", "GET"}, {"code_class", "2xx"}}, 2),
            2);
  // One handshake carried all five requests.
  EXPECT_EQ(pair.inbound_metric("mtls_handshakes_total", {{"result", "success"}}), 1);
}

TEST(HttpRoutes, AnAmbiguousPathIsRefusedBeforeAnyRuleAndNeverReachesTheApp) {
  HttpPair pair(read_api_only);
  for (const char* path : {"/api/../admin/users", "/api/%2e%2e/admin", "/api//admin", "/api%2Fx"}) {
    const proxy::ProbeResult r = pair.to_inbound(get("GET", path, "Connection: close\r\n"));
    ASSERT_TRUE(r.handshake_ok) << r.error;
    EXPECT_EQ(r.reply.rfind("HTTP/1.1 400 ", 0), 0u) << path << ": " << r.reply;
  }
  EXPECT_EQ(pair.wait_inbound_metric("mtls_http_errors_total", {{"reason", "bad_path"}}, 4), 4);
  EXPECT_EQ(pair.inbound_metric("mtls_http_requests_total", {{"code_class", "2xx"}}), 0);
}

TEST(HttpRoutes, APeerWithoutAnyRuleGetsNothingThroughAListenerWithRules) {
  HttpPair pair([](config::Config& c) {
    for (config::InboundListener& in : c.inbound) {
      config::RouteRule rule;
      rule.name = "someone-else";
      rule.peers.spiffe_ids = {"spiffe://test.local/ns/default/sa/admin"};
      rule.prefixes = {"/"};
      in.routes = {rule};
    }
  });
  const proxy::ProbeResult r = pair.to_inbound(get("GET", "/api/orders", "Connection: close\r\n"));
  ASSERT_TRUE(r.handshake_ok) << r.error;
  EXPECT_EQ(r.reply.rfind("HTTP/1.1 403 ", 0), 0u) << r.reply;
}

}  // namespace
}  // namespace mtls::test
