// Route authorization, attacker first: every spelling of a path that an app could resolve
// outside the prefix a rule allows is refused, then the ordinary allow/deny table.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "proxy/http/route_policy.hpp"

namespace {

namespace config = mtls::config;
using mtls::certs::PeerIdentity;
using mtls::proxy::http::RoutePolicy;
using Outcome = RoutePolicy::Outcome;

PeerIdentity spiffe(std::string id) { return PeerIdentity{{std::move(id)}, {}, ""}; }
const PeerIdentity kWeb = spiffe("spiffe://demo.local/ns/default/sa/web");
const PeerIdentity kAdmin = spiffe("spiffe://demo.local/ns/default/sa/admin");
const PeerIdentity kPartner = spiffe("spiffe://partner.example/billing");

config::RouteRule rule(std::string name, std::vector<std::string> spiffe_ids,
                       std::vector<std::string> methods, std::vector<std::string> prefixes,
                       std::vector<std::string> paths = {}) {
  config::RouteRule r;
  r.name = std::move(name);
  r.peers.spiffe_ids = std::move(spiffe_ids);
  r.methods = std::move(methods);
  r.prefixes = std::move(prefixes);
  r.paths = std::move(paths);
  return r;
}

// The brief's example: web may read /api/, admin may do anything.
RoutePolicy example() {
  return RoutePolicy(
      {rule("web-read-api", {"spiffe://demo.local/ns/default/sa/web"}, {"GET", "HEAD"}, {"/api/"}),
       rule("web-health", {"spiffe://demo.local/ns/default/sa/web"}, {}, {}, {"/healthz"}),
       rule("admin-all", {"spiffe://demo.local/ns/default/sa/admin"}, {}, {"/"})});
}

Outcome outcome(const RoutePolicy& p, const PeerIdentity& peer, std::string_view method,
                std::string_view target) {
  return p.decide(peer, method, target).outcome;
}

TEST(RoutePolicyAttacks, PathsThatEscapeTheAllowedPrefixAreRefusedBeforeMatching) {
  const RoutePolicy p = example();
  for (std::string_view target : {
           "/api/../admin/users",          // plain dot-dot
           "/api/./../admin/",             // mixed dots
           "/api/%2e%2e/admin/",           // encoded dots, lower case
           "/api/%2E%2E/admin/",           // encoded dots, upper case
           "/api/.%2e/admin/",             // half encoded
           "/api/%2e./admin/",             // half encoded, other half
           "/api/..;/admin/",              // Tomcat path parameter
           "/api/..;jsessionid=1/admin",   // with a value
           "/api/.;/x",                    // single dot with a parameter
           "/api/..",                      // dot-dot at the end
           "/api/%2e",                     // encoded dot at the end
           "/api/..%2Fadmin/",             // encoded slash
           "/api/x%2F..%2F..%2Fadmin",     // encoded slashes around dots
           "/api/x%2f..%2f..%2fadmin",     // lower-case hex
           "/api/..%5Cadmin",              // encoded backslash
           "/api/..\\admin",               // literal backslash (Windows, some frameworks)
           "/api//../admin",               // empty segment before dots (merge-slashes mismatch)
           "//api/admin/",                 // could parse as authority "api", path /admin/
           "/api/%00/../admin",            // NUL
           "/api/%",                       // truncated escape
           "/api/%2",                      // truncated escape
           "/api/%G0",                     // bad hex
           "/api/\r\n/admin",              // raw CR LF
           "/api/x#/../../admin",          // fragment
           "/api/\xc0\xae\xc0\xae/admin",  // overlong UTF-8 dots
           "http://host/api/",             // absolute-form
           "*",                            // asterisk-form
           "",                             // nothing
       }) {
    const RoutePolicy::Decision d = p.decide(kWeb, "GET", target);
    EXPECT_EQ(d.outcome, Outcome::bad_path) << target;
    EXPECT_TRUE(d.rule.empty()) << target;
    EXPECT_FALSE(d.why.empty()) << target;
  }
}

TEST(RoutePolicyAttacks, EvenAPeerAllowedEverywhereGetsNoAmbiguousPathThrough) {
  // The app behind must never see a path whose meaning differs from what was authorized.
  EXPECT_EQ(outcome(example(), kAdmin, "GET", "/a/../b"), Outcome::bad_path);
  EXPECT_EQ(outcome(example(), kAdmin, "GET", "/a%2Fb"), Outcome::bad_path);
}

TEST(RoutePolicyAttacks, CaseAndSpellingTricksDoNotWidenARule) {
  const RoutePolicy p = example();
  EXPECT_EQ(outcome(p, kWeb, "GET", "/API/users"), Outcome::denied);
  EXPECT_EQ(outcome(p, kWeb, "GET", "/Admin/"), Outcome::denied);
  EXPECT_EQ(outcome(p, kWeb, "GET", "/admin/"), Outcome::denied);
  EXPECT_EQ(outcome(p, kWeb, "get", "/api/users"), Outcome::denied);  // methods are case-sensitive
  EXPECT_EQ(outcome(p, kWeb, "POST", "/api/users"), Outcome::denied);
  EXPECT_EQ(outcome(p, kWeb, "GET", "/api"), Outcome::denied);        // "/api/" is not "/api"
  EXPECT_EQ(outcome(p, kWeb, "GET", "/apiary/"), Outcome::denied);    // not by string prefix
  EXPECT_EQ(outcome(p, kWeb, "GET", "/healthz/x"), Outcome::denied);  // exact path is exact
  EXPECT_EQ(outcome(p, kWeb, "GET", "/healthz/"), Outcome::denied);
  EXPECT_EQ(outcome(p, kWeb, "GET", "/%61dmin/"), Outcome::denied);  // decoded, still /admin/
}

TEST(RoutePolicyAttacks, EncodedUnreservedCharactersMatchLikeTheirPlainForm) {
  // The app decodes them too, so /%61pi/ is /api/ for both.
  const RoutePolicy p = example();
  EXPECT_EQ(outcome(p, kWeb, "GET", "/%61pi/users"), Outcome::allowed);
  EXPECT_EQ(outcome(p, kWeb, "GET", "/%61%70%69%2Fusers"), Outcome::bad_path);
}

TEST(RoutePolicyAttacks, APeerNoRuleNamesIsDeniedEverywhere) {
  const RoutePolicy p = example();
  for (std::string_view target : {"/", "/api/", "/healthz", "/admin/"}) {
    EXPECT_EQ(outcome(p, kPartner, "GET", target), Outcome::denied) << target;
  }
  EXPECT_EQ(outcome(p, PeerIdentity{}, "GET", "/api/"), Outcome::denied);
  // Several URI SANs: no SPIFFE identity, whatever the first one says.
  const PeerIdentity two{{"spiffe://demo.local/ns/default/sa/admin", "spiffe://x/y"}, {}, ""};
  EXPECT_EQ(outcome(p, two, "GET", "/admin/"), Outcome::denied);
}

TEST(RoutePolicy, AllowsWhatTheRulesSayAndNamesTheRule) {
  const RoutePolicy p = example();
  RoutePolicy::Decision d = p.decide(kWeb, "GET", "/api/users?id=1&next=/../admin");
  EXPECT_EQ(d.outcome, Outcome::allowed);
  EXPECT_EQ(d.rule, "web-read-api");
  EXPECT_EQ(p.decide(kWeb, "HEAD", "/api/").rule, "web-read-api");
  EXPECT_EQ(p.decide(kWeb, "DELETE", "/healthz").rule, "web-health");  // no methods: all
  EXPECT_EQ(p.decide(kWeb, "GET", "/healthz?probe=1").rule, "web-health");
  d = p.decide(kAdmin, "POST", "/admin/users");
  EXPECT_EQ(d.outcome, Outcome::allowed);
  EXPECT_EQ(d.rule, "admin-all");
  EXPECT_EQ(p.decide(kAdmin, "GET", "/").rule, "admin-all");
  EXPECT_EQ(p.decide(kAdmin, "PURGE", "/api/x").rule, "admin-all");
}

TEST(RoutePolicy, DeniedSaysWhatWasAskedAndByWhom) {
  const RoutePolicy::Decision d = example().decide(kWeb, "POST", "/admin/x?y");
  EXPECT_EQ(d.outcome, Outcome::denied);
  EXPECT_TRUE(d.rule.empty());
  EXPECT_EQ(d.why, "no route allows POST /admin/x for spiffe://demo.local/ns/default/sa/web");
}

TEST(RoutePolicy, FirstMatchingRuleInFileOrderNamesTheDecision) {
  const RoutePolicy p({rule("narrow", {"spiffe://demo.local/ns/default/sa/web"}, {"GET"}, {"/a/b"}),
                       rule("wide", {"spiffe://demo.local/ns/default/sa/web"}, {}, {"/a"})});
  EXPECT_EQ(p.decide(kWeb, "GET", "/a/b/c").rule, "narrow");
  EXPECT_EQ(p.decide(kWeb, "PUT", "/a/b/c").rule, "wide");
  EXPECT_EQ(p.decide(kWeb, "GET", "/a").rule, "wide");
  EXPECT_EQ(p.decide(kWeb, "GET", "/a/").rule, "wide");
  EXPECT_EQ(outcome(p, kWeb, "GET", "/ab"), Outcome::denied);
}

TEST(RoutePolicy, RulesUseEveryIdentityFieldOfAPeerPolicy) {
  config::RouteRule by_domain = rule("domain", {}, {}, {"/d"});
  by_domain.peers.trust_domains = {"partner.example"};
  config::RouteRule by_dns = rule("dns", {}, {}, {"/n"});
  by_dns.peers.dns_names = {"Orders.Default.Svc"};
  config::RouteRule by_cn = rule("cn", {}, {}, {"/c"});
  by_cn.peers.common_names = {"legacy"};
  config::RouteRule anyone = rule("anyone", {}, {"GET"}, {}, {"/ping"});
  anyone.peers.any = true;
  const RoutePolicy p({by_domain, by_dns, by_cn, anyone});
  EXPECT_EQ(p.decide(kPartner, "GET", "/d/x").rule, "domain");
  EXPECT_EQ(outcome(p, kWeb, "GET", "/d/x"), Outcome::denied);
  const PeerIdentity dns{{}, {"orders.default.svc"}, ""};
  EXPECT_EQ(p.decide(dns, "GET", "/n").rule, "dns");  // DNS names compare case-insensitively
  EXPECT_EQ(outcome(p, dns, "GET", "/c"), Outcome::denied);
  const PeerIdentity cn{{}, {}, "legacy"};
  EXPECT_EQ(p.decide(cn, "GET", "/c").rule, "cn");
  EXPECT_EQ(p.decide(kWeb, "GET", "/ping").rule, "anyone");
  EXPECT_EQ(outcome(p, kWeb, "POST", "/ping"), Outcome::denied);
}

TEST(RoutePolicy, BindOnceDecideManyGivesTheSameAnswers) {
  const RoutePolicy p = example();
  const RoutePolicy::Peer web = p.bind(kWeb);
  EXPECT_FALSE(web.empty());
  EXPECT_TRUE(p.bind(kPartner).empty());
  EXPECT_EQ(p.decide(web, "GET", "/api/x").rule, "web-read-api");
  EXPECT_EQ(p.decide(web, "GET", "/admin/").outcome, Outcome::denied);
}

TEST(RoutePolicy, WithoutRulesEveryRequestPassesUninspected) {
  const RoutePolicy p({});
  EXPECT_FALSE(p.enabled());
  // The path is not even parsed: protocol: http without routes stays transparent.
  EXPECT_EQ(outcome(p, kPartner, "GET", "/a/../b"), Outcome::allowed);
}

}  // namespace
