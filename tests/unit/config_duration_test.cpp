// parse_duration: one integer and one unit.

#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"

namespace {

namespace config = mtls::config;
using std::chrono::milliseconds;

milliseconds parsed(std::string_view text) {
  config::Duration out{-1};
  std::string why;
  EXPECT_TRUE(config::parse_duration(text, out, why)) << text << ": " << why;
  return out;
}

std::string why_not(std::string_view text) {
  config::Duration out{123};
  std::string why;
  EXPECT_FALSE(config::parse_duration(text, out, why)) << text;
  EXPECT_EQ(out, config::Duration{123}) << "out must stay untouched on failure";
  return why;
}

TEST(ParseDuration, ReadsEveryUnit) {
  EXPECT_EQ(parsed("250ms"), milliseconds(250));
  EXPECT_EQ(parsed("10s"), std::chrono::seconds(10));
  EXPECT_EQ(parsed("5m"), std::chrono::minutes(5));
  EXPECT_EQ(parsed("24h"), std::chrono::hours(24));
  EXPECT_EQ(parsed("7d"), std::chrono::hours(7 * 24));
}

TEST(ParseDuration, ReadsZeroWithOrWithoutUnit) {
  EXPECT_EQ(parsed("0"), milliseconds(0));
  EXPECT_EQ(parsed("0s"), milliseconds(0));
  EXPECT_EQ(parsed("00ms"), milliseconds(0));
}

TEST(ParseDuration, RejectsMissingUnit) {
  EXPECT_EQ(why_not("10"), "missing unit in \"10\"; expected a duration like 10s, 5m, 24h");
}

TEST(ParseDuration, RejectsUnknownUnits) {
  EXPECT_EQ(why_not("10x"), "unknown unit \"x\" in \"10x\"; expected ms, s, m, h or d");
  EXPECT_EQ(why_not("10 s"), "unknown unit \" s\" in \"10 s\"; expected ms, s, m, h or d");
  EXPECT_EQ(why_not("1h30m"), "unknown unit \"h30m\" in \"1h30m\"; expected ms, s, m, h or d");
  EXPECT_EQ(why_not("10S"), "unknown unit \"S\" in \"10S\"; expected ms, s, m, h or d");
}

TEST(ParseDuration, RejectsNegativeValues) {
  EXPECT_EQ(why_not("-5s"), "negative duration \"-5s\"; expected a duration like 10s, 5m, 24h");
}

TEST(ParseDuration, RejectsFractions) {
  EXPECT_EQ(why_not("1.5h"),
            "\"1.5h\" is not a whole number; use a smaller unit, like 90m for 1.5h");
}

TEST(ParseDuration, RejectsTextThatIsNoDuration) {
  EXPECT_EQ(why_not(""), "empty duration; expected a duration like 10s, 5m, 24h");
  EXPECT_EQ(why_not("soon"), "\"soon\" is not a duration; expected a duration like 10s, 5m, 24h");
  EXPECT_EQ(why_not("+5s"), "\"+5s\" is not a duration; expected a duration like 10s, 5m, 24h");
}

TEST(ParseDuration, RejectsOverflow) {
  EXPECT_EQ(why_not("99999999999999999999ms"), "\"99999999999999999999ms\" is too large");
  EXPECT_EQ(why_not("200000000000d"), "\"200000000000d\" is too large");
  EXPECT_EQ(parsed("9223372036854775807ms"), milliseconds(9223372036854775807));
}

}  // namespace
