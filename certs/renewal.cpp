#include "certs/renewal.hpp"

#include <algorithm>

#include "certs/describe.hpp"

namespace mtls::certs {

std::chrono::milliseconds renewal_delay(std::chrono::milliseconds lifetime, double renew_at,
                                        double jitter) {
  const double spread = 1.0 + 0.1 * std::clamp(jitter, -1.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<std::chrono::milliseconds::rep>(double(lifetime.count()) * renew_at * spread));
}

bool near_expiry(std::time_t not_before, std::time_t not_after, std::time_t now) {
  const std::time_t margin = std::max<std::time_t>(0, (not_after - not_before) / 10);
  return now >= not_after - margin;
}

std::optional<std::string> expiry_warning(const std::string& serial_hex, std::time_t not_before,
                                          std::time_t not_after, std::time_t now) {
  if (!near_expiry(not_before, not_after, now)) return std::nullopt;
  const std::string when = rfc3339(not_after);
  if (now > not_after) {
    return "the serving certificate (serial " + serial_hex + ") expired at " + when +
           ": peers refuse it and /ready answers 503 until a valid one is loaded";
  }
  return "the serving certificate (serial " + serial_hex + ") expires at " + when +
         ", within 10% of its lifetime, and has not been replaced yet";
}

std::chrono::milliseconds Backoff::next() {
  const std::chrono::milliseconds now = next_;
  next_ = std::min(next_ * 2, kMax);
  return now;
}

}  // namespace mtls::certs
