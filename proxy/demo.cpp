#include "proxy/demo.hpp"

#include <csignal>
#include <string>
#include <thread>

#include "certs/peer_identity.hpp"
#include "certs/pem.hpp"
#include "metrics/log.hpp"
#include "proxy/demo_report.hpp"
#include "proxy/demo_setup.hpp"
#include "proxy/tls_probe.hpp"

namespace mtls::proxy {
namespace {

using namespace std::chrono_literals;
using demo::Report;

const std::string kSecret = "card=4111-1111-1111-1111";

std::string order_request() {
  const std::string body = kSecret + "&amount=42.00";
  return "POST /orders HTTP/1.1\r\nHost: backend.local\r\n"
         "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

ProbeOptions plain_to(std::uint16_t port) {
  ProbeOptions o;
  o.port = port;
  o.timeout = 3s;
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

// Why a probe ended, for a step that expected something else.
std::string outcome(const ProbeResult& r) {
  if (const std::string status = demo::status_line(r.reply); !status.empty()) return status;
  if (!r.alert.empty()) return "TLS alert \"" + r.alert + "\"";
  if (!r.error.empty()) return r.error;
  return r.eof ? "connection closed, no reply" : "no reply";
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// The CLI sets a level only for --log-level; at the default (info) every connection's JSON line
// would bury the report, so the demo lowers it to warn for its own run.
class QuietLogs {
 public:
  QuietLogs() : lowered_(log::enabled(log::Level::info) && !log::enabled(log::Level::debug)) {
    if (lowered_) log::set_level(log::Level::warn);
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
  const auto deadline = std::chrono::steady_clock::now() + 2s;
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
    plaintext_client_is_refused();
    other_ca_is_refused();
    unlisted_identity_is_refused();
    report_.detail("", "");
    report_.detail("counted", "inbound handshakes: " +
                                  demo::handshake_breakdown(stack_.inbound().metrics().serialize()));
  }

 private:
  std::size_t requests_seen() const { return stack_.service().requests().size(); }

  void app_request_arrives() {
    const ProbeResult r = plain_probe(plain_to(stack_.outbound_port()), order_request());
    const auto requests = stack_.service().requests();
    const bool arrived = !requests.empty() && contains(requests.back(), kSecret);
    const bool ok = demo::status_line(r.reply) == "HTTP/1.1 200 OK" && arrived;
    report_.step(ok, "the app sends POST /orders with \"" + kSecret + "\" in plaintext to its sidecar");
    report_.detail("reply", ok ? outcome(r) + "  \"" + demo::http_body(r.reply) + "\"" : outcome(r));
    if (!arrived) report_.detail("service", "the legacy service did not receive the order");
  }

  void wire_shows_only_tls() {
    const std::string wire = stack_.tap().recorded();
    const bool secret_hidden = !contains(wire, kSecret) && !contains(wire, "POST /orders");
    const bool tls_records = wire.size() > 5 && wire[0] == 0x16 && wire[1] == 0x03;
    // The tap sees only ciphertext, so ask the inbound sidecar directly what it negotiates.
    const ProbeResult r = tls_probe(tls_to(stack_.inbound_port(), pki_, pki_.frontend),
                                    "GET /health HTTP/1.1\r\nHost: backend.local\r\n\r\n");
    const std::string client =
        certs::extract_identity(certs::load_certificates(pki_.frontend.cert).front().get()).display();
    const bool ok = secret_hidden && tls_records && r.handshake_ok &&
                    r.server_identity == demo::kBackendId && client == demo::kFrontendId;
    report_.step(ok, "between the sidecars the network carries only TLS, never the plaintext");
    report_.detail("wire", std::to_string(wire.size()) + " bytes over " +
                               std::to_string(stack_.tap().connections()) + " connection: " +
                               demo::hex_preview(wire, 8) + " (16 03 = a TLS record)");
    report_.detail("search", "\"" + kSecret + "\" and \"POST /orders\": " +
                                 (secret_hidden ? "not found" : "FOUND in the clear"));
    report_.detail("tls", r.handshake_ok ? r.tls_version + ", " + r.cipher : outcome(r));
    report_.detail("client", client + "  (outbound sidecar's certificate)");
    report_.detail("server", r.server_identity + "  (inbound sidecar's certificate)");
  }

  void plaintext_client_is_refused() {
    const std::size_t before = requests_seen();
    const ProbeResult r = plain_probe(plain_to(stack_.inbound_port()), order_request());
    const bool ok = r.connected && demo::status_line(r.reply).empty() && requests_seen() == before;
    report_.step(ok, "a plaintext client that skips the sidecar and calls the inbound port is refused");
    report_.detail("result", outcome(r));
  }

  void other_ca_is_refused() {
    const std::size_t before = requests_seen();
    const ProbeResult r = tls_probe(tls_to(stack_.inbound_port(), pki_, pki_.rogue), order_request());
    const bool ok = r.refused() && r.reply.empty() && requests_seen() == before;
    report_.step(ok, "a client whose certificate comes from another CA (\"rogue CA\") is refused");
    report_.detail("result", outcome(r));
  }

  void unlisted_identity_is_refused() {
    const std::size_t before = requests_seen();
    const ProbeResult r = tls_probe(tls_to(stack_.inbound_port(), pki_, pki_.intruder), order_request());
    const double denied = wait_for_handshakes(stack_.inbound(), "identity_denied", 1);
    const bool ok = r.refused() && r.reply.empty() && requests_seen() == before && denied == 1;
    report_.step(ok, "a client of the right CA whose SPIFFE ID is not on the allow-list is refused");
    report_.detail("client", std::string(demo::kIntruderId));
    report_.detail("result", outcome(r));
    report_.detail("reason", "mtls_handshakes_total{reason=\"identity_denied\"} " +
                                 std::to_string(static_cast<long long>(denied)) +
                                 "  (inbound sidecar's metrics)");
  }

  Report& report_;
  const demo::DemoPki& pki_;
  demo::DemoStack& stack_;
};

}  // namespace

int run_demo() {
  const auto start = std::chrono::steady_clock::now();
  // The sidecars' TLS streams write with write(2): a client that hangs up mid-reply must be an
  // error code, not SIGPIPE ending the demo (`run` does the same).
  std::signal(SIGPIPE, SIG_IGN);
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
