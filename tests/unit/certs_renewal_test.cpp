// renewal_delay, near_expiry, expiry_warning and Backoff: the arithmetic behind local_ca
// renewal, expiry warnings and retries.
#include <gtest/gtest.h>

#include "certs/renewal.hpp"

namespace mtls::certs {
namespace {

using namespace std::chrono_literals;

TEST(Renewal, RenewsAtTheFractionOfTheLifetimeSpreadByTenPercent) {
  EXPECT_EQ(renewal_delay(6000ms, 2.0 / 3.0, 0.0), 4000ms);
  EXPECT_EQ(renewal_delay(6000ms, 2.0 / 3.0, -1.0), 3600ms);
  EXPECT_EQ(renewal_delay(6000ms, 2.0 / 3.0, 1.0), 4400ms);
  EXPECT_EQ(renewal_delay(6000ms, 2.0 / 3.0, 7.0), 4400ms);  // jitter is clamped to ±10 %
  EXPECT_EQ(renewal_delay(24h, 0.5, 0.0), 12h);
}

TEST(Renewal, NearExpiryIsTheLastTenPercentOfTheValidity) {
  EXPECT_FALSE(near_expiry(1000, 2000, 1899));
  EXPECT_TRUE(near_expiry(1000, 2000, 1900));
  EXPECT_TRUE(near_expiry(1000, 2000, 2500));
}

TEST(Renewal, WarnsAboutALeafNearOrPastItsExpiry) {
  EXPECT_FALSE(expiry_warning("AB", 1000, 2000, 1500).has_value());
  const auto soon = expiry_warning("AB", 1000, 2000, 1950);
  ASSERT_TRUE(soon.has_value());
  EXPECT_NE(soon->find("serial AB"), std::string::npos) << *soon;
  EXPECT_NE(soon->find("within 10% of its lifetime"), std::string::npos) << *soon;
  const auto past = expiry_warning("AB", 1000, 2000, 2001);
  ASSERT_TRUE(past.has_value());
  EXPECT_NE(past->find("expired at 1970-01-01T00:33:20Z"), std::string::npos) << *past;
}

TEST(Renewal, BackoffDoublesFromOneSecondUpToFiveMinutesAndResets) {
  Backoff backoff;
  EXPECT_EQ(backoff.next(), 1s);
  EXPECT_EQ(backoff.next(), 2s);
  EXPECT_EQ(backoff.next(), 4s);
  for (int i = 0; i < 20; ++i) backoff.next();
  EXPECT_EQ(backoff.next(), 5min);
  backoff.reset();
  EXPECT_EQ(backoff.next(), 1s);
}

}  // namespace
}  // namespace mtls::certs
