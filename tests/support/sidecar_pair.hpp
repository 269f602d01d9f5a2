#pragma once
// An outbound and an inbound sidecar in-process, wired app -> outbound -> inbound -> backend,
// with identities from a TestPki: the outbound presents spiffe://test.local/ns/default/sa/frontend,
// the inbound spiffe://test.local/ns/default/sa/backend (DNS backend.local). Ports are ephemeral.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "proxy/sidecar/sidecar.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::test {

inline const std::string kFrontendId = "spiffe://test.local/ns/default/sa/frontend";
inline const std::string kBackendId = "spiffe://test.local/ns/default/sa/backend";

// Config for one sidecar with identity `files` from `pki`; listeners are added by the caller.
config::Config base_config(const TestPki& pki, const TestPki::Files& files, unsigned workers = 1);
// Config for one inbound sidecar ("in" -> backend_port) whose identity comes from the local CA in
// `dir` as kBackendId.
config::Config local_ca_config(const std::string& dir, std::uint16_t backend_port,
                               std::chrono::seconds ttl, unsigned workers);
config::InboundListener inbound_listener(std::uint16_t forward_port,
                                         std::vector<std::string> allowed_ids = {kFrontendId});
config::OutboundListener outbound_listener(std::uint16_t forward_port,
                                           std::vector<std::string> expected_ids = {kBackendId});

struct SidecarPair {
  SidecarPair(TestPki& pki, std::uint16_t backend_port, unsigned workers = 1,
              const config::Limits& limits = {});
  std::uint16_t outbound_port() const { return outbound->port("out"); }
  std::uint16_t inbound_port() const { return inbound->port("in"); }

  TestPki::Files frontend, backend;
  std::unique_ptr<proxy::Sidecar> inbound, outbound;
};

// Captures log lines (the sink is process-wide: one capture at a time, made before sidecars).
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  std::vector<std::string> lines() const;
  // Waits until a line contains every one of `parts`; returns it or "" after `timeout_ms`.
  std::string wait_for(const std::vector<std::string>& parts, int timeout_ms = 5000) const;

 private:
  static void sink(std::string_view line, void* self);
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Prometheus text exposition -> {"name{label="v",...}" -> value}, labels in exposition order.
std::map<std::string, double> parse_exposition(const std::string& text);
// The value of one series, e.g. sample(text, "mtls_handshakes_total", {{"reason","ok"},...});
// labels not given are summed over. Returns -1 when no series of `name` exists.
double sample(const std::string& text, const std::string& name,
              const std::map<std::string, std::string>& labels);

}  // namespace mtls::test
