#pragma once
// When to re-issue a certificate, when to warn about expiry, and how long to wait after a
// failure. Pure functions and a small value type; the timers that use them live in proxy/.

#include <chrono>
#include <ctime>
#include <optional>
#include <string>

namespace mtls::certs {

// renew_at of `lifetime`, spread by ±10 % (`jitter` in [-1, 1], e.g. uniform random) so that
// sidecars started together do not all renew in the same second.
std::chrono::milliseconds renewal_delay(std::chrono::milliseconds lifetime, double renew_at,
                                        double jitter);

// True when `now` is within 10 % of the [not_before, not_after] window of its end.
bool near_expiry(std::time_t not_before, std::time_t not_after, std::time_t now);

// The log line for a serving leaf that is near or past its expiry; nullopt when it is fine.
std::optional<std::string> expiry_warning(const std::string& serial_hex, std::time_t not_before,
                                          std::time_t not_after, std::time_t now);

// Exponential backoff: 1 s, 2 s, 4 s ... capped at 5 min; reset() after a success.
class Backoff {
 public:
  static constexpr std::chrono::milliseconds kFirst{1000};
  static constexpr std::chrono::milliseconds kMax{5 * 60 * 1000};

  std::chrono::milliseconds next();
  void reset() { next_ = kFirst; }

 private:
  std::chrono::milliseconds next_ = kFirst;
};

}  // namespace mtls::certs
