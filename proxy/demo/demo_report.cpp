#include "proxy/demo/demo_report.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

namespace mtls::proxy::demo {
namespace {

constexpr const char* kPicture = R"(
   frontend pod                       "the network"                      backend pod
  ┌─────┐ plain ┌──────────┐  mTLS  ┌──────────────┐  mTLS  ┌─────────┐ plain ┌────────────────┐
  │ app │──────▶│ outbound │═══════▶│   wire tap   │═══════▶│ inbound │──────▶│ legacy service │
  └─────┘       │ sidecar  │        │ records every│        │ sidecar │       │ (plain HTTP)   │
                └──────────┘        │ byte it sees │        └─────────┘       └────────────────┘
                                    └──────────────┘
)";

// (reason, value) of every mtls_handshakes_total sample, in exposition order.
std::vector<std::pair<std::string, double>> handshake_samples(std::string_view text) {
  constexpr std::string_view kName = "mtls_handshakes_total{";
  constexpr std::string_view kReason = "reason=\"";
  std::vector<std::pair<std::string, double>> out;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    const std::size_t at = line.find(kReason);
    const std::size_t close = line.rfind("} ");
    if (line.substr(0, kName.size()) != kName || at == std::string_view::npos ||
        close == std::string_view::npos)
      continue;
    const std::size_t begin = at + kReason.size();
    const std::string reason(line.substr(begin, line.find('"', begin) - begin));
    const std::string value(line.substr(close + 2));
    out.emplace_back(reason, std::strtod(value.c_str(), nullptr));
  }
  return out;
}

}  // namespace

void Report::header(const std::string& ca_name, const std::string& temp_dir) {
  std::printf(
      "mtls-sidecar demo: what an eavesdropper sees between two sidecars, and who gets in\n");
  std::fputs(kPicture, stdout);
  std::printf(
      "\nEverything runs in this process on 127.0.0.1. Certificates come from a throwaway CA\n"
      "(\"%s\") in %s, deleted at the end.\n",
      ca_name.c_str(), temp_dir.c_str());
}

void Report::route(std::uint16_t outbound, std::uint16_t tap, std::uint16_t inbound,
                   std::uint16_t service) {
  std::printf(
      "Listening: outbound sidecar :%u → wire tap :%u → inbound sidecar :%u → legacy service "
      ":%u\n\n",
      unsigned(outbound), unsigned(tap), unsigned(inbound), unsigned(service));
}

bool Report::step(bool ok, std::string_view text) {
  ++steps_;
  if (!ok) ++failed_;
  std::printf(" %s %d  %.*s\n", ok ? "✔" : "✘", steps_, int(text.size()), text.data());
  return ok;
}

void Report::detail(std::string_view label, std::string_view text) {
  std::printf("        %-8.*s %.*s\n", int(label.size()), label.data(), int(text.size()),
              text.data());
}

void Report::aborted(std::string_view why) {
  ++steps_;
  ++failed_;
  std::printf(" ✘ %d  the demo could not go on: %.*s\n", steps_, int(why.size()), why.data());
}

int Report::summary(std::chrono::steady_clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  if (failed_ == 0) {
    std::printf("\n ✔ all %d steps behaved as expected (%.2f s)\n", steps_, seconds);
  } else {
    std::printf("\n ✘ %d of %d steps did not behave as expected (%.2f s)\n", failed_, steps_,
                seconds);
  }
  std::fflush(stdout);
  return failed_ == 0 ? 0 : 1;
}

std::string hex_preview(std::string_view bytes, std::size_t count) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < bytes.size() && i < count; ++i) {
    std::snprintf(buf, sizeof buf, "%02x ", unsigned(static_cast<unsigned char>(bytes[i])));
    out += buf;
  }
  if (bytes.size() > count) out += "…";
  return out;
}

std::string status_line(std::string_view reply) {
  const std::size_t eol = reply.find("\r\n");
  if (reply.substr(0, 5) != "HTTP/" || eol == std::string_view::npos) return {};
  return std::string(reply.substr(0, eol));
}

std::string http_body(std::string_view reply) {
  const std::size_t at = reply.find("\r\n\r\n");
  if (at == std::string_view::npos) return {};
  std::string body(reply.substr(at + 4));
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body;
}

double handshakes_with_reason(std::string_view metrics_text, std::string_view reason) {
  double total = 0;
  for (const auto& [r, value] : handshake_samples(metrics_text))
    if (r == reason) total += value;
  return total;
}

std::string handshake_breakdown(std::string_view metrics_text) {
  std::string out;
  for (const auto& [reason, value] : handshake_samples(metrics_text)) {
    if (value == 0) continue;
    if (!out.empty()) out += ", ";
    out += reason + " " + std::to_string(static_cast<long long>(value));
  }
  return out.empty() ? "none" : out;
}

}  // namespace mtls::proxy::demo
