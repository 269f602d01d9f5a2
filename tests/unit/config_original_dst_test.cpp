// outbound `forward: original_dst` and its `destinations` map: what is read, what is refused and
// where each mistake is reported.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

// identity and trust (lines 1-4), then one original_dst outbound listener (lines 5-9); `rest`
// starts at line 10.
std::string transparent_with(std::string_view rest) {
  return std::string(mtls::test::kFileIdentityYaml) + "trust: { ca_bundle: ca.crt }\n" +
         "outbound:\n  - name: egress\n    listen: 127.0.0.1:15001\n    forward: original_dst\n" +
         "    expect: { trust_domains: [demo.local] }\n" + std::string(rest);
}

TEST(ConfigOriginalDst, ReadsDestinationsAndInheritsTheListenersExpect) {
  const config::Config c =
      config::load_string(transparent_with(R"(    server_name: default.demo.local
    destinations:
      - match: 198.18.0.20:80
        server_name: b.demo.local
        expect: { spiffe_ids: ["spiffe://demo.local/b"] }
      - match: "[2001:db8::1]:443"
)"),
                          "sidecar.yaml");
  const config::OutboundListener& l = c.outbound.at(0);
  EXPECT_TRUE(l.original_dst);
  EXPECT_EQ(l.forward, config::HostPort{});
  EXPECT_EQ(l.server_name, "default.demo.local");
  ASSERT_EQ(l.destinations.size(), 2u);
  EXPECT_EQ(l.destinations[0].match, (config::HostPort{"198.18.0.20", 80}));
  EXPECT_EQ(l.destinations[0].server_name, "b.demo.local");
  EXPECT_EQ(l.destinations[0].expect.spiffe_ids, std::vector<std::string>{"spiffe://demo.local/b"});
  EXPECT_TRUE(l.destinations[0].expect.trust_domains.empty());
  EXPECT_EQ(l.destinations[1].match, (config::HostPort{"2001:db8::1", 443}));
  EXPECT_EQ(l.destinations[1].server_name, "");
  EXPECT_EQ(l.destinations[1].expect.trust_domains, std::vector<std::string>{"demo.local"});
}

TEST(ConfigOriginalDst, AcceptsNoDestinations) {
  const config::Config c = config::load_string(transparent_with(""), "sidecar.yaml");
  EXPECT_TRUE(c.outbound.at(0).original_dst);
  EXPECT_TRUE(c.outbound.at(0).destinations.empty());
}

TEST(ConfigOriginalDst, RefusesTheListenersOwnAddressAsADestination) {
  EXPECT_EQ(load_error(transparent_with("    destinations:\n      - match: 127.0.0.1:15001\n")),
            "sidecar.yaml:11:9: outbound[0].destinations[0].match: 127.0.0.1:15001 is this "
            "listener's own address (outbound[0].listen); a connection to it would loop back to "
            "the listener");
}

TEST(ConfigOriginalDst, RefusesALoopbackDestinationOnAWildcardListenersPort) {
  const std::string yaml =
      std::string(mtls::test::kFileIdentityYaml) + "trust: { ca_bundle: ca.crt }\n" + R"(outbound:
  - name: egress
    listen: 0.0.0.0:15001
    forward: original_dst
    expect: { any: true }
    destinations: [{ match: 127.0.0.2:15001 }]
)";
  EXPECT_EQ(load_error(yaml),
            "sidecar.yaml:10:22: outbound[0].destinations[0].match: 127.0.0.2:15001 is this "
            "listener's own address (outbound[0].listen); a connection to it would loop back to "
            "the listener");
}

TEST(ConfigOriginalDst, RefusesAHostNameAsMatch) {
  EXPECT_EQ(load_error(transparent_with("    destinations:\n      - match: orders.svc:8443\n")),
            "sidecar.yaml:11:9: outbound[0].destinations[0].match: \"orders.svc\" is not an IP "
            "address; a redirected connection's original destination is an address, never a name");
}

TEST(ConfigOriginalDst, RefusesADuplicateDestination) {
  EXPECT_EQ(load_error(transparent_with("    destinations:\n      - match: 198.18.0.20:80\n"
                                        "      - match: 198.18.0.20:80\n")),
            "sidecar.yaml:12:9: outbound[0].destinations[1].match: duplicate destination "
            "198.18.0.20:80; outbound[0].destinations[0] has it already");
}

TEST(ConfigOriginalDst, RefusesAnEmptyDestinationExpect) {
  EXPECT_EQ(load_error(transparent_with(
                "    destinations:\n      - match: 198.18.0.20:80\n        expect: {}\n")),
            "sidecar.yaml:12:9: outbound[0].destinations[0].expect: empty expect; set any: true "
            "to accept any server of the trust domain, or leave expect out to use the listener's");
}

TEST(ConfigOriginalDst, SuggestsTheKeyOfAMisspelledDestinationField) {
  EXPECT_EQ(load_error(transparent_with(
                "    destinations:\n      - match: 198.18.0.20:80\n        server_nam: b\n")),
            "sidecar.yaml:12:9: outbound[0].destinations[0].server_nam: unknown key; did you "
            "mean server_name?");
}

TEST(ConfigOriginalDst, RefusesDestinationsWithAFixedForward) {
  EXPECT_EQ(load_error(std::string(mtls::test::kFileIdentityYaml) +
                       "trust: { ca_bundle: ca.crt }\n" + R"(outbound:
  - name: egress
    listen: 127.0.0.1:15001
    forward: 198.18.0.20:8443
    expect: { any: true }
    destinations: [{ match: 198.18.0.20:80 }]
)"),
            "sidecar.yaml:10:5: outbound[0].destinations: destinations need forward: "
            "original_dst (a listener with a fixed forward has one destination)");
}

TEST(ConfigOriginalDst, RefusesHttpProtocol) {
  EXPECT_EQ(load_error(transparent_with("    protocol: http\n")),
            "sidecar.yaml:8:5: outbound[0].forward: original_dst needs protocol: tcp (the HTTP "
            "upstream pool keeps one destination per listener)");
}

TEST(ConfigOriginalDst, RefusesOriginalDstOnAnInboundListener) {
  EXPECT_EQ(load_error(std::string(mtls::test::kFileIdentityYaml) +
                       "trust: { ca_bundle: ca.crt }\n" + R"(inbound:
  - name: web
    listen: 0.0.0.0:8443
    forward: original_dst
    allow: { any: true }
)"),
            "sidecar.yaml:8:5: inbound[0].forward: original_dst is for outbound listeners (an "
            "inbound forwards to its local app)");
}

}  // namespace
