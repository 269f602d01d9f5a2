// allow.routes (protocol: http route rules), http.pool, and the canonical request path rules
// are written in.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/http_path.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

const std::string kHead = R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
trust: { ca_bundle: ca.crt }
)";

// An http inbound listener whose allow admits web and admin; `routes` starts at line 12.
std::string with_routes(std::string_view routes, std::string_view protocol = "http") {
  return kHead +
         "inbound:\n  - name: api\n    listen: 0.0.0.0:8443\n    forward: 127.0.0.1:8080\n" +
         "    protocol: " + std::string(protocol) + "\n" +
         "    allow:\n      spiffe_ids: [spiffe://demo.local/web, spiffe://demo.local/admin]\n" +
         std::string(routes) + "\n";
}

TEST(ConfigRoutes, ReadsRulesWithNamesPathsPrefixesAndMethods) {
  const config::Config c = config::load_string(with_routes(R"(      routes:
        - { name: web-read-api, spiffe_ids: [spiffe://demo.local/web], methods: [GET, HEAD], prefix: /api/ }
        - { spiffe_ids: [spiffe://demo.local/web], paths: [/healthz, /status] }
        - { trust_domains: [demo.local], prefix: [/static, /img/] }
        - { name: admin-all, spiffe_ids: [spiffe://demo.local/admin], prefix: / })"),
                                               "sidecar.yaml");
  const auto& routes = c.inbound.at(0).routes;
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[0].name, "web-read-api");
  EXPECT_EQ(routes[0].peers.spiffe_ids, std::vector<std::string>{"spiffe://demo.local/web"});
  EXPECT_EQ(routes[0].methods, (std::vector<std::string>{"GET", "HEAD"}));
  EXPECT_EQ(routes[0].prefixes, std::vector<std::string>{"/api/"});
  EXPECT_TRUE(routes[0].paths.empty());
  EXPECT_EQ(routes[1].name, "routes[1]");  // derived: the access log still names it
  EXPECT_EQ(routes[1].paths, (std::vector<std::string>{"/healthz", "/status"}));
  EXPECT_TRUE(routes[1].methods.empty());
  EXPECT_EQ(routes[2].peers.trust_domains, std::vector<std::string>{"demo.local"});
  EXPECT_EQ(routes[2].prefixes, (std::vector<std::string>{"/static", "/img/"}));
  EXPECT_EQ(routes[3].prefixes, std::vector<std::string>{"/"});
}

TEST(ConfigRoutes, StoresPathsInCanonicalForm) {
  const config::Config c = config::load_string(
      with_routes("      routes:\n        - { any: true, paths: [/%7euser/a%2a] }"),
      "sidecar.yaml");
  EXPECT_EQ(c.inbound.at(0).routes.at(0).paths, std::vector<std::string>{"/~user/a%2A"});
}

TEST(ConfigRoutes, NoRoutesMeansNone) {
  const config::Config c = config::load_string(with_routes(""), "sidecar.yaml");
  EXPECT_TRUE(c.inbound.at(0).routes.empty());
}

TEST(ConfigRoutes, RefusesRoutesOnATcpListener) {
  EXPECT_EQ(load_error(with_routes("      routes:\n        - { any: true, prefix: / }", "tcp")),
            "sidecar.yaml:12:7: inbound[0].allow.routes: routes need protocol: http (a tcp "
            "listener relays bytes and sees no requests)");
}

TEST(ConfigRoutes, RefusesRoutesOnAListenerWithoutProtocol) {
  const std::string yaml = kHead +
                           "inbound:\n  - name: api\n    listen: 0.0.0.0:8443\n"
                           "    forward: 127.0.0.1:8080\n    allow:\n      any: true\n"
                           "      routes: [{ any: true, prefix: / }]\n";
  EXPECT_EQ(load_error(yaml),
            "sidecar.yaml:11:7: inbound[0].allow.routes: routes need protocol: http (a tcp "
            "listener relays bytes and sees no requests)");
}

TEST(ConfigRoutes, RefusesAnEmptyRouteList) {
  EXPECT_EQ(load_error(with_routes("      routes: []")),
            "sidecar.yaml:12:7: inbound[0].allow.routes: no rules would refuse every request; "
            "remove routes to allow every request of an allowed peer");
}

TEST(ConfigRoutes, RefusesRoutesInExpect) {
  EXPECT_EQ(load_error(kHead + R"(outbound:
  - name: orders
    listen: 127.0.0.1:15001
    forward: orders.default.svc:8443
    protocol: http
    expect: { any: true, routes: [{ any: true, prefix: / }] }
)"),
            "sidecar.yaml:10:26: outbound[0].expect.routes: unknown key");
}

TEST(ConfigRoutes, SuggestsTheNearestRuleKey) {
  EXPECT_EQ(load_error(with_routes("      routes:\n        - { any: true, prefixes: /api/ }")),
            "sidecar.yaml:13:24: inbound[0].allow.routes[0].prefixes: unknown key; did you mean "
            "prefix?");
}

TEST(ConfigRoutes, RefusesARuleWithoutPaths) {
  EXPECT_EQ(load_error(with_routes("      routes:\n        - { any: true, methods: [GET] }")),
            "sidecar.yaml:13:11: inbound[0].allow.routes[0]: a rule needs paths or prefix; "
            "prefix: / matches every path");
}

TEST(ConfigRoutes, SuggestsMethodsForMethod) {
  EXPECT_EQ(
      load_error(with_routes("      routes:\n        - { any: true, prefix: /, method: [GET] }")),
      "sidecar.yaml:13:35: inbound[0].allow.routes[0].method: unknown key; did you mean "
      "methods?");
}

TEST(ConfigRoutes, RefusesARuleForNoOne) {
  EXPECT_EQ(load_error(with_routes("      routes:\n        - { prefix: /api/ }")),
            "sidecar.yaml:13:11: inbound[0].allow.routes[0]: a rule applies to no one; set any: "
            "true for every peer allow admits, or list spiffe_ids, trust_domains, dns_names or "
            "common_names");
}

TEST(ConfigRoutes, RefusesAnyTogetherWithALIst) {
  EXPECT_EQ(
      load_error(with_routes("      routes:\n        - { any: true, dns_names: [a], prefix: / }")),
      "sidecar.yaml:13:11: inbound[0].allow.routes[0]: any: true together with dns_names "
      "is ambiguous; keep one or the other");
}

TEST(ConfigRoutes, ChecksTheRuleSpiffeIdsLikeAllow) {
  EXPECT_EQ(load_error(with_routes(
                "      routes:\n        - { spiffe_ids: [spiffe://demo.local], prefix: / }")),
            "sidecar.yaml:13:26: inbound[0].allow.routes[0].spiffe_ids[0]: "
            "\"spiffe://demo.local\" has no path; to accept the whole trust domain use "
            "trust_domains: [demo.local]");
}

TEST(ConfigRoutes, RefusesLowercaseAndInvalidMethods) {
  EXPECT_EQ(
      load_error(with_routes(
          "      routes:\n        - { any: true, prefix: /, methods: [get, \"GE T\", \"\"] }")),
      "sidecar.yaml:13:45: inbound[0].allow.routes[0].methods[0]: methods are "
      "case-sensitive; write GET\n"
      "sidecar.yaml:13:50: inbound[0].allow.routes[0].methods[1]: \"GE T\" is not a method "
      "name (letters, digits and !#$%&'*+-.^_`|~)\n"
      "sidecar.yaml:13:58: inbound[0].allow.routes[0].methods[2]: must not be empty");
}

TEST(ConfigRoutes, RefusesPathsThatAreNotCanonical) {
  EXPECT_EQ(load_error(with_routes(R"(      routes:
        - any: true
          paths: [api/, /a/../admin, /a//b, "/x?y=1", /a%2Fb]
          prefix: /b/%2e%2E/c)")),
            "sidecar.yaml:14:19: inbound[0].allow.routes[0].paths[0]: \"api/\": not an "
            "origin-form path (it must start with '/'); write the path as clients send it, "
            "starting with '/' (such requests are refused before routes are matched)\n"
            "sidecar.yaml:14:25: inbound[0].allow.routes[0].paths[1]: \"/a/../admin\": dot "
            "segment (. or ..) in the path; write the path as clients send it, starting with '/' "
            "(such requests are refused before routes are matched)\n"
            "sidecar.yaml:14:38: inbound[0].allow.routes[0].paths[2]: \"/a//b\": empty path "
            "segment (//); write the path as clients send it, starting with '/' (such requests "
            "are refused before routes are matched)\n"
            "sidecar.yaml:14:45: inbound[0].allow.routes[0].paths[3]: \"/x?y=1\": a query is not "
            "part of the path; remove it\n"
            "sidecar.yaml:14:55: inbound[0].allow.routes[0].paths[4]: \"/a%2Fb\": encoded '/' "
            "or '\\' (%2F, %5C); write the path as clients send it, starting with '/' (such "
            "requests are refused before routes are matched)\n"
            "sidecar.yaml:15:11: inbound[0].allow.routes[0].prefix: \"/b/%2e%2E/c\": dot "
            "segment (. or ..) in the path; write the path as clients send it, starting with '/' "
            "(such requests are refused before routes are matched)");
}

TEST(ConfigRoutes, RefusesDuplicateRuleNames) {
  EXPECT_EQ(load_error(with_routes(R"(      routes:
        - { name: read, any: true, prefix: / }
        - { name: read, any: true, paths: [/x] })")),
            "sidecar.yaml:14:13: inbound[0].allow.routes[1].name: duplicate rule name \"read\" "
            "(the access log names the rule)");
}

TEST(ConfigRoutes, RefusesRuleNamesThatAreNotWords) {
  EXPECT_EQ(
      load_error(with_routes("      routes:\n        - { name: \"a b\", any: true, paths: [/y] }")),
      "sidecar.yaml:13:13: inbound[0].allow.routes[0].name: \"a b\" may contain only "
      "letters, digits, '_', '.' and '-'");
}

TEST(ConfigHttpPool, DefaultsAndValues) {
  const config::Config defaults = config::load_string(with_routes(""), "sidecar.yaml");
  EXPECT_EQ(defaults.http.pool.max_idle_per_destination, 16u);
  EXPECT_EQ(defaults.http.pool.max_per_destination, 0u);
  EXPECT_EQ(defaults.http.pool.idle_timeout, std::chrono::seconds(30));
  const config::Config c = config::load_string(
      with_routes("") +
          "http:\n  pool: { max_idle_per_destination: 4, max_per_destination: 64, "
          "idle_timeout: 5s }\n",
      "sidecar.yaml");
  EXPECT_EQ(c.http.pool.max_idle_per_destination, 4u);
  EXPECT_EQ(c.http.pool.max_per_destination, 64u);
  EXPECT_EQ(c.http.pool.idle_timeout, std::chrono::seconds(5));
}

TEST(ConfigHttpPool, ReportsBadValuesAndTypos) {
  EXPECT_EQ(
      load_error(with_routes("") + "http:\n  pool: { max_idle_per_destinaton: 4, idle_timeout: 0, "
                                   "max_per_destination: -1 }\n"),
      "sidecar.yaml:14:11: http.pool.max_idle_per_destinaton: unknown key; did you mean "
      "max_idle_per_destination?\n"
      "sidecar.yaml:14:39: http.pool.idle_timeout: must be greater than 0\n"
      "sidecar.yaml:14:56: http.pool.max_per_destination: expected an integer from 0 to "
      "4294967295, got \"-1\"");
}

// The canonical form itself; the matcher's attacker-first cases are in proxy_route_policy_test.
TEST(HttpPath, DecodesUnreservedUppercasesTheRestAndCutsTheQuery) {
  EXPECT_EQ(config::canonical_path("/%61pi/%7E%2a?x=%2F..").path, "/api/~%2A");
  EXPECT_EQ(config::canonical_path("/").path, "/");
  EXPECT_EQ(config::canonical_path("/a/b/").path, "/a/b/");
  EXPECT_EQ(config::canonical_path("/a;b=c/.x/..y").path, "/a;b=c/.x/..y");
  EXPECT_EQ(config::canonical_path("/%25252e").path, "/%25252e");  // no second decoding
}

TEST(HttpPath, RefusesEveryAmbiguousForm) {
  for (std::string_view target :
       {"",         "*",      "api",         "http://x/api", "/a/../b", "/a/./b",   "/..",
        "/.",       "/a/..",  "/a/%2e%2e/b", "/a/%2E./b",    "/a/.%2e", "/a/..;/b", "/a/.;x/b",
        "/a//b",    "//a",    "/a%2fb",      "/a%2F..",      "/a%5cb",  "/a\\b",    "/a%00b",
        "/a%0d%0a", "/a%7f",  "/a%",         "/a%2",         "/a%zz",   "/a b",     "/a\tb",
        "/a#b",     "/a\x80", "/\xc3\xa9"}) {
    EXPECT_FALSE(config::canonical_path(target).ok) << target;
  }
}

}  // namespace
