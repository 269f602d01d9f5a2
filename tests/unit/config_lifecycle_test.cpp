// Certificate lifecycle keys: trust.crl_stale, identity.local_ca.renew_at,
// identity.file.poll_interval.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "tests/support/config_errors.hpp"

namespace {

namespace config = mtls::config;

using mtls::test::load_error;

const std::string kListener = R"(inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)";

const std::string kFileIdentity = R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
)";

std::string local_ca(std::string_view extra) {
  return "identity:\n  source: local_ca\n  local_ca: { dir: ca, spiffe_id: \"spiffe://t/sa/web\"" +
         std::string(extra) + " }\n" + kListener;
}

TEST(ConfigLifecycle, StaleCrlsAreRefusedByDefault) {
  const config::Config c = config::load_string(
      kFileIdentity + "trust: { ca_bundle: ca.crt, crl: c.crl }\n" + kListener, "sidecar.yaml");
  EXPECT_EQ(c.trust.crl_stale, config::CrlStale::refuse);
}

TEST(ConfigLifecycle, ReadsCrlStaleWarn) {
  const config::Config c = config::load_string(
      kFileIdentity + "trust: { ca_bundle: ca.crt, crl: c.crl, crl_stale: warn }\n" + kListener,
      "sidecar.yaml");
  EXPECT_EQ(c.trust.crl_stale, config::CrlStale::warn);
}

TEST(ConfigLifecycle, RejectsAnUnknownCrlStalePolicy) {
  EXPECT_EQ(
      load_error(kFileIdentity + "trust:\n  ca_bundle: ca.crt\n  crl_stale: ignore\n" + kListener),
      "sidecar.yaml:6:3: trust.crl_stale: unknown policy \"ignore\"; expected refuse or warn");
}

TEST(ConfigLifecycle, RenewsAtTwoThirdsOfTheTtlByDefault) {
  const config::Config c = config::load_string(local_ca(""), "sidecar.yaml");
  EXPECT_NEAR(c.identity.local_ca.renew_at, 2.0 / 3.0, 1e-9);
}

TEST(ConfigLifecycle, ReadsRenewAtAsADecimalFraction) {
  const config::Config c = config::load_string(local_ca(", renew_at: 0.5"), "sidecar.yaml");
  EXPECT_DOUBLE_EQ(c.identity.local_ca.renew_at, 0.5);
}

TEST(ConfigLifecycle, RejectsRenewAtOutsideItsRangeOrNotANumber) {
  for (const char* bad : {"0.95", "0", "1", "2/3", "67%", "0.5s"}) {
    const std::string error = load_error(local_ca(std::string(", renew_at: ") + bad));
    EXPECT_NE(error.find("identity.local_ca.renew_at: \"" + std::string(bad) +
                         "\": expected a fraction of ttl between 0.1 and 0.9, like 0.667"),
              std::string::npos)
        << error;
  }
}

TEST(ConfigLifecycle, ReadsThePollInterval) {
  const config::Config c = config::load_string(
      "identity:\n  source: file\n  file: { cert: a.crt, key: a.key, poll_interval: 30s }\n"
      "trust: { ca_bundle: ca.crt }\n" +
          kListener,
      "sidecar.yaml");
  EXPECT_EQ(c.identity.file.poll_interval, std::chrono::seconds(30));
}

}  // namespace
