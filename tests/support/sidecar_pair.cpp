#include "tests/support/sidecar_pair.hpp"

#include <chrono>
#include <regex>
#include <thread>

#include "metrics/log.hpp"

namespace mtls::test {

config::Config base_config(const TestPki& pki, const TestPki::Files& files, unsigned workers) {
  config::Config c;
  c.workers = workers;
  c.admin.listen = {"127.0.0.1", 0};
  c.identity.source = config::IdentitySource::file;
  c.identity.file.cert = files.cert;
  c.identity.file.key = files.key;
  c.trust.ca_bundle = pki.ca_bundle();
  return c;
}

config::Config local_ca_config(const std::string& dir, std::uint16_t backend_port,
                               std::chrono::seconds ttl, unsigned workers) {
  config::Config c;
  c.workers = workers;
  c.identity.source = config::IdentitySource::local_ca;
  c.identity.local_ca.dir = dir;
  c.identity.local_ca.spiffe_id = kBackendId;
  c.identity.local_ca.dns_names = {"backend.local"};
  c.identity.local_ca.ttl = ttl;
  c.inbound.push_back(inbound_listener(backend_port));
  return c;
}

config::InboundListener inbound_listener(std::uint16_t forward_port,
                                         std::vector<std::string> allowed_ids) {
  config::InboundListener l;
  l.name = "in";
  l.listen = {"127.0.0.1", 0};
  l.forward = {"127.0.0.1", forward_port};
  l.allow.spiffe_ids = std::move(allowed_ids);
  return l;
}

config::OutboundListener outbound_listener(std::uint16_t forward_port,
                                           std::vector<std::string> expected_ids) {
  config::OutboundListener l;
  l.name = "out";
  l.listen = {"127.0.0.1", 0};
  l.forward = {"127.0.0.1", forward_port};
  l.server_name = "backend.local";
  l.expect.spiffe_ids = std::move(expected_ids);
  return l;
}

SidecarPair::SidecarPair(TestPki& pki, std::uint16_t backend_port, unsigned workers,
                         const config::Limits& limits)
    : frontend(pki.leaf("frontend", kFrontendId, {"frontend.local"})),
      backend(pki.leaf("backend", kBackendId, {"backend.local"})) {
  config::Config in = base_config(pki, backend, workers);
  in.limits = limits;
  in.inbound.push_back(inbound_listener(backend_port));
  inbound = std::make_unique<proxy::Sidecar>(std::move(in));
  inbound->start();

  config::Config out = base_config(pki, frontend, workers);
  out.limits = limits;
  out.outbound.push_back(outbound_listener(inbound->port("in")));
  outbound = std::make_unique<proxy::Sidecar>(std::move(out));
  outbound->start();
}

LogCapture::LogCapture() { log::set_sink(&LogCapture::sink, this); }
LogCapture::~LogCapture() { log::set_sink(nullptr, nullptr); }

void LogCapture::sink(std::string_view line, void* self) {
  auto* capture = static_cast<LogCapture*>(self);
  std::lock_guard lock(capture->mutex_);
  capture->lines_.emplace_back(line);
}

std::vector<std::string> LogCapture::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string LogCapture::wait_for(const std::vector<std::string>& parts, int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  do {
    for (const auto& line : lines()) {
      bool all = true;
      for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
      if (all) return line;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  return {};
}

std::map<std::string, double> parse_exposition(const std::string& text) {
  std::map<std::string, double> out;
  static const std::regex line_re(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?)\s+(\S+)$)");
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    std::smatch m;
    if (line.empty() || line[0] == '#' || !std::regex_match(line, m, line_re)) continue;
    out[m[1]] = std::stod(m[3]);
  }
  return out;
}

double sample(const std::string& text, const std::string& name,
              const std::map<std::string, std::string>& labels) {
  double total = 0;
  bool found = false;
  for (const auto& [series, value] : parse_exposition(text)) {
    if (series != name && series.rfind(name + "{", 0) != 0) continue;
    bool match = true;
    for (const auto& [k, v] : labels)
      match = match && series.find(k + "=\"" + v + "\"") != std::string::npos;
    if (!match) continue;
    found = true;
    total += value;
  }
  return found ? total : -1;
}

}  // namespace mtls::test
