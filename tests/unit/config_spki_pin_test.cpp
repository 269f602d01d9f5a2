// outbound expect.spki_sha256: base64 SHA-256 pins of the server's public key, read on the
// listener's expect and on a destination's; what is refused and where it is reported.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

// SHA-256 of the empty string: a valid pin of no real key.
constexpr char kPin[] = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
constexpr char kHow[] =
    " base64 of a SHA-256 digest (44 characters ending in '='); compute one with: openssl x509 "
    "-in peer.crt -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 "
    "-binary | base64";
constexpr char kFirstPin[] = "sidecar.yaml:9:40: outbound[0].expect.spki_sha256[0]: ";

// identity and trust (lines 1-4), then one outbound listener (lines 5-8) whose expect (line 9,
// column 13) is `expect`; `rest` starts at line 10.
std::string outbound_with(std::string_view expect, std::string_view rest = "") {
  return std::string(mtls::test::kFileIdentityYaml) + "trust: { ca_bundle: ca.crt }\n" +
         "outbound:\n  - name: orders\n    listen: 127.0.0.1:15001\n" +
         "    forward: orders.demo.local:8443\n    expect: " + std::string(expect) + "\n" +
         std::string(rest);
}

TEST(ConfigSpkiPin, ReadsPinsOnTheListenersExpectAndADestinations) {
  const config::Config c = config::load_string(
      outbound_with(std::string("{ trust_domains: [demo.local], spki_sha256: [\"") + kPin +
                    "\"] }"),
      "sidecar.yaml");
  EXPECT_EQ(c.outbound.at(0).expect.spki_sha256, std::vector<std::string>{kPin});

  const config::Config t = config::load_string(
      std::string(mtls::test::kFileIdentityYaml) + "trust: { ca_bundle: ca.crt }\n" +
          "outbound:\n  - name: egress\n    listen: 127.0.0.1:15001\n    forward: original_dst\n" +
          "    expect: { trust_domains: [demo.local] }\n    destinations:\n" +
          "      - match: 198.18.0.20:80\n        expect: { any: true, spki_sha256: [\"" + kPin +
          "\"] }\n",
      "sidecar.yaml");
  EXPECT_TRUE(t.outbound.at(0).expect.spki_sha256.empty());
  EXPECT_EQ(t.outbound.at(0).destinations.at(0).expect.spki_sha256, std::vector<std::string>{kPin});
}

TEST(ConfigSpkiPin, RefusesAValueThatIsNotBase64OfThirtyTwoBytes) {
  EXPECT_EQ(load_error(outbound_with("{ any: true, spki_sha256: [\"abc=\"] }")),
            std::string(kFirstPin) + "\"abc=\" is not" + kHow);
  // 32 bytes whose last digit has padding bits set: not the canonical encoding openssl prints.
  EXPECT_EQ(
      load_error(outbound_with(
          "{ any: true, spki_sha256: [\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\"] }")),
      std::string(kFirstPin) + "\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\" is not" + kHow);
}

TEST(ConfigSpkiPin, RefusesHexWithTheCommandThatPrintsBase64) {
  EXPECT_EQ(load_error(outbound_with(
                "{ any: true, spki_sha256: "
                "[e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855] }")),
            std::string(kFirstPin) +
                "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\" looks like "
                "hex; a pin is" +
                kHow);
}

TEST(ConfigSpkiPin, IsNotAKeyOfInboundAllowAndTyposAreNamed) {
  EXPECT_EQ(
      load_error(outbound_with("{ any: true, spki_sha265: [] }")),
      "sidecar.yaml:9:26: outbound[0].expect.spki_sha265: unknown key; did you mean spki_sha256?");
  EXPECT_EQ(
      load_error(std::string(mtls::test::kFileIdentityYaml) + "trust: { ca_bundle: ca.crt }\n" +
                 "inbound:\n  - name: api\n    listen: 0.0.0.0:8443\n" +
                 "    forward: 127.0.0.1:8080\n    allow: { any: true, spki_sha256: [\"" + kPin +
                 "\"] }\n"),
      "sidecar.yaml:9:25: inbound[0].allow.spki_sha256: spki_sha256 pins a server's key: outbound "
      "expect only");
}

}  // namespace
