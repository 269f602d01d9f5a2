// parse_duration: "250ms", "10s", "5m", "24h", "7d", "0". One integer and one unit, nothing else,
// so a value means the same thing to every reader of the file.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/quoted.hpp"

namespace mtls::config {
namespace {

using detail::quoted;

constexpr std::string_view kExpected = "expected a duration like 10s, 5m, 24h";

// Milliseconds per unit; 0 for an unknown unit.
std::int64_t unit_ms(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 60 * 60 * 1000;
  if (unit == "d") return 24 * 60 * 60 * 1000;
  return 0;
}

}  // namespace

bool parse_duration(std::string_view text, Duration& out, std::string& why) {
  if (text.empty()) {
    why = "empty duration; " + std::string(kExpected);
    return false;
  }
  if (text.front() == '-') {
    why = "negative duration " + quoted(text) + "; " + std::string(kExpected);
    return false;
  }
  std::size_t digits = 0;
  std::int64_t value = 0;
  constexpr std::int64_t kMax = std::numeric_limits<Duration::rep>::max();
  for (; digits < text.size() && text[digits] >= '0' && text[digits] <= '9'; ++digits) {
    const int digit = text[digits] - '0';
    if (value > (kMax - digit) / 10) {
      why = quoted(text) + " is too large";
      return false;
    }
    value = value * 10 + digit;
  }
  if (digits == 0) {
    why = quoted(text) + " is not a duration; " + std::string(kExpected);
    return false;
  }
  const std::string_view unit = text.substr(digits);
  if (unit.empty()) {
    if (value == 0) {  // zero is zero in every unit
      out = Duration::zero();
      return true;
    }
    why = "missing unit in " + quoted(text) + "; " + std::string(kExpected);
    return false;
  }
  if (unit.front() == '.') {
    why = quoted(text) + " is not a whole number; use a smaller unit, like 90m for 1.5h";
    return false;
  }
  const std::int64_t scale = unit_ms(unit);
  if (scale == 0) {
    why = "unknown unit " + quoted(unit) + " in " + quoted(text) + "; expected ms, s, m, h or d";
    return false;
  }
  if (value > kMax / scale) {
    why = quoted(text) + " is too large";
    return false;
  }
  out = Duration(value * scale);
  return true;
}

}  // namespace mtls::config
