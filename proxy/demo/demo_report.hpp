#pragma once
// The demo's report on stdout, written for a newcomer: a picture of what runs, one aligned
// line per step marked ✔ or ✘, a few indented details, a one-line summary. Plus the small
// text helpers the steps use to describe bytes and metrics. One thread.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace mtls::proxy::demo {

class Report {
 public:
  void header(const std::string& ca_name, const std::string& temp_dir);
  void route(std::uint16_t outbound, std::uint16_t tap, std::uint16_t inbound,
             std::uint16_t service);
  // Prints " ✔ 1  text" (or ✘) and counts it; returns `ok` so a step can end with it.
  bool step(bool ok, std::string_view text);
  void detail(std::string_view label, std::string_view text);  // under the last step
  // Prints the summary line; returns the exit code (0: every step behaved as expected).
  int summary(std::chrono::steady_clock::duration elapsed);
  // The demo could not go on (setup threw): counted as one failed step.
  void aborted(std::string_view why);

 private:
  int steps_ = 0;
  int failed_ = 0;
};

// "16 03 01 00 f5 01 …": the first `count` bytes in hex.
std::string hex_preview(std::string_view bytes, std::size_t count);
// The first line of an HTTP message ("HTTP/1.1 200 OK"), "" if there is none.
std::string status_line(std::string_view reply);
// The body of an HTTP message without its trailing newline, "" if none.
std::string http_body(std::string_view reply);

// Prometheus text: the sum of mtls_handshakes_total samples labelled reason="<reason>".
double handshakes_with_reason(std::string_view metrics_text, std::string_view reason);
// "ok 2, protocol_version 1, unknown_ca 1": every non-zero reason, in exposition order.
std::string handshake_breakdown(std::string_view metrics_text);

}  // namespace mtls::proxy::demo
