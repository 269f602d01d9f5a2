#include "proxy/demo/demo.hpp"

#include <string>
#include <thread>

#include "certs/peer_identity.hpp"
#include "certs/pem.hpp"
#include "metrics/log.hpp"
#include "proxy/demo/demo_report.hpp"
#include "proxy/demo/demo_setup.hpp"
#include "proxy/demo/tls_probe.hpp"

namespace mtls::proxy {
namespace {

using namespace std::chrono_literals;
using demo::Report;

using demo::kSecret;
using demo::order_request;

ProbeOptions plain_to(std::uint16_t port) {
  ProbeOptions o;
  o.port = port;
  o.timeout = 2s;  // loopback: a step that needs longer has failed, and the demo must stay short
  return o;
}

ProbeOptions tls_to(std::uint16_t port, const demo::DemoPki& pki, const demo::IdentityFiles& id) {
  ProbeOptions o = plain_to(port);
  o.ca_file = pki.ca_bundle;
  o.cert_file = id.cert;
  o.key_file = id.key;
  o.server_name = demo::kBackendDns;
  return o;
}

// What the client saw, in words: the reply's status line, the alert, or how the connection ended.
std::string client_saw(const ProbeResult& r) {
  if (const std::string status = demo::status_line(r.reply); !status.empty()) return status;
  if (!r.alert.empty()) {
    // TLS 1.3 servers judge the client's certificate last: its own handshake has succeeded.
    return "TLS alert \"" + r.alert + "\"" + (r.tls_version.empty() ? "" : " on its first read");
  }
  if (r.error.find("reset") != std::string::npos) return "connection reset, no reply";
  if (r.eof) return "connection closed, no reply";
  return r.error.empty() ? "no reply" : r.error;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// The CLI sets a level only for --log-level. At the default (info) every connection's JSON line
// would bury the report, and at warn so would the refusals the demo provokes on purpose: the
// demo runs at error unless a level was asked for (an explicit "info" cannot be told apart).
class QuietLogs {
 public:
  QuietLogs() : lowered_(log::enabled(log::Level::info) && !log::enabled(log::Level::debug)) {
    if (lowered_) log::set_level(log::Level::error);
  }
  ~QuietLogs() {
    if (lowered_) log::set_level(log::Level::info);
  }

 private:
  bool lowered_;
};

// A refusal is counted by the inbound worker right after it sends the alert the probe has
// already read, so the scrape may come a moment early: wait for it, briefly.
double wait_for_handshakes(Sidecar& sidecar, std::string_view reason, double expected) {
  const auto deadline = std::chrono::steady_clock::now() + 2s;  // a hang, not a slow machine
  for (;;) {
    const double n = demo::handshakes_with_reason(sidecar.metrics().serialize(), reason);
    if (n >= expected || std::chrono::steady_clock::now() >= deadline) return n;
    std::this_thread::sleep_for(5ms);
  }
}

class DemoSteps {
 public:
  DemoSteps(Report& report, const demo::DemoPki& pki, demo::DemoStack& stack)
      : report_(report), pki_(pki), stack_(stack) {}

  void run() {
    app_request_arrives();
    wire_shows_only_tls();
    served_ = stack_.service().requests().size();
    const std::uint16_t inbound = stack_.inbound_port();
    refused("a plaintext client that skips the sidecars and calls the inbound port is refused", "",
            plain_probe(plain_to(inbound), order_request()), "plaintext");
    refused("a client whose certificate comes from another CA is refused",
            demo::kFrontendId + std::string(" (issued by \"rogue CA\")"),
            tls_probe(tls_to(inbound, pki_, pki_.rogue), order_request()), "unknown_ca");
    refused("a client of the right CA whose SPIFFE ID is not on the allow-list is refused",
            demo::kIntruderId, tls_probe(tls_to(inbound, pki_, pki_.intruder), order_request()),
            "identity_denied");
    std::printf("\nHandshakes the inbound sidecar counted: %s\n",
                demo::handshake_breakdown(stack_.inbound().metrics().serialize()).c_str());
  }

 private:
  void app_request_arrives() {
    const ProbeResult r = plain_probe(plain_to(stack_.outbound_port()), order_request());
    const auto requests = stack_.service().requests();
    const bool arrived = !requests.empty() && contains(requests.back(), kSecret);
    const bool ok = demo::status_line(r.reply) == "HTTP/1.1 200 OK" && arrived;
    report_.step(ok,
                 "the app sends POST /orders with \"" + kSecret + "\" in plaintext to its sidecar");
    report_.detail("reply",
                   ok ? client_saw(r) + "  \"" + demo::http_body(r.reply) + "\"" : client_saw(r));
    if (!arrived) report_.detail("service", "the legacy service did not receive the order");
  }

  void wire_shows_only_tls() {
    const std::string wire = stack_.tap().recorded();
    const std::size_t connections = stack_.tap().connections();
    const bool secret_hidden = !contains(wire, kSecret) && !contains(wire, "POST /orders");
    const bool tls_records = wire.size() > 5 && wire[0] == 0x16 && wire[1] == 0x03;
    // The tap sees only ciphertext, so ask the inbound sidecar directly what it negotiates.
    const ProbeResult r = tls_probe(tls_to(stack_.inbound_port(), pki_, pki_.frontend),
                                    "GET /health HTTP/1.1\r\nHost: backend.local\r\n\r\n");
    const std::string client =
        certs::extract_identity(certs::load_certificates(pki_.frontend.cert).front().get())
            .display();
    const bool ok = secret_hidden && tls_records && r.handshake_ok &&
                    r.server_identity == demo::kBackendId && client == demo::kFrontendId;
    report_.step(ok, "between the sidecars the network carries only TLS, never the plaintext");
    report_.detail("wire", std::to_string(wire.size()) + " bytes over " +
                               std::to_string(connections) +
                               (connections == 1 ? " connection: " : " connections: ") +
                               demo::hex_preview(wire, 8) + " (16 03 = a TLS record)");
    report_.detail("search", "\"" + kSecret + "\" and \"POST /orders\": " +
                                 (secret_hidden ? "not found" : "FOUND in the clear"));
    report_.detail("tls", r.handshake_ok ? r.tls_version + ", " + r.cipher : client_saw(r));
    report_.detail("client", client + "  (outbound sidecar's certificate)");
    report_.detail("server", r.server_identity + "  (inbound sidecar's certificate)");
  }

  // A refusal must show on both ends: the client gets no reply, nothing reaches the service,
  // and the inbound sidecar counts the handshake under the expected reason.
  void refused(const std::string& title, const std::string& identity, const ProbeResult& r,
               std::string_view reason) {
    const double counted = wait_for_handshakes(stack_.inbound(), reason, 1);
    const bool nothing_through =
        demo::status_line(r.reply).empty() && stack_.service().requests().size() == served_;
    report_.step(r.connected && nothing_through && counted == 1, title);
    if (!identity.empty()) report_.detail("identity", identity);
    report_.detail("client", client_saw(r));
    report_.detail("sidecar", "mtls_handshakes_total{reason=\"" + std::string(reason) + "\"} " +
                                  std::to_string(static_cast<long long>(counted)));
  }

  Report& report_;
  const demo::DemoPki& pki_;
  demo::DemoStack& stack_;
  std::size_t served_ = 0;  // requests the service had answered before the refusal steps
};

}  // namespace

int run_demo() {
  const auto start = std::chrono::steady_clock::now();
  const QuietLogs quiet;
  Report report;
  try {
    const demo::DemoPki pki;
    report.header(pki.ca_name, pki.dir);
    demo::DemoStack stack(pki);
    report.route(stack.outbound_port(), stack.tap().port(), stack.inbound_port(),
                 stack.service().port());
    DemoSteps(report, pki, stack).run();
  } catch (const std::exception& e) {
    report.aborted(e.what());
  }
  return report.summary(std::chrono::steady_clock::now() - start);
}

}  // namespace mtls::proxy
