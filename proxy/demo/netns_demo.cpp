// `mtls-sidecar demo --netns`: the demo's story across network namespaces instead of in one
// process. Host A runs the app and its outbound sidecar, host B the inbound sidecar and the
// legacy service, host X an attacker; tcpdump on the bridge between them records what crosses.
// The sidecars are this binary (`run --config`), as they would be deployed; the app, the
// service and the attacker are this thread, moved into each namespace in turn.

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>

#include "proxy/demo/demo.hpp"
#include "proxy/demo/demo_backend.hpp"
#include "proxy/demo/demo_report.hpp"
#include "proxy/demo/demo_setup.hpp"
#include "proxy/demo/netns_capture.hpp"
#include "proxy/demo/netns_lab.hpp"
#include "proxy/demo/tls_probe.hpp"

namespace mtls::proxy {
namespace {

using namespace std::chrono_literals;
using demo::InNetns;
using demo::Report;

constexpr std::uint16_t kAppSidecarPort = 15001;  // A's outbound listener, on A's loopback
constexpr std::uint16_t kInboundPort = 8443;      // B's inbound listener, on the bridge
constexpr std::uint16_t kAdminPort = 9901;        // each sidecar's admin, on its own loopback

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string last_line(const std::string& path) {
  std::string text = read_file(path);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const std::size_t at = text.rfind('\n');
  return at == std::string::npos ? text : text.substr(at + 1);
}

// Waits up to `limit` for `done`: these are steps of processes this one started, so a limit
// reached means something failed, not that the machine is slow.
template <class Done>
bool wait_until(Done done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

ProbeOptions to(const std::string& host, std::uint16_t port) {
  ProbeOptions o;
  o.host = host;
  o.port = port;
  o.timeout = 2s;  // a veth pair is as fast as loopback; the demo must stay short
  return o;
}

std::string admin_get(const std::string& ns, const std::string& path) {
  const InNetns in(ns);
  return plain_probe(to("127.0.0.1", kAdminPort),
                     "GET " + path + " HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n")
      .reply;
}

std::string client_saw(const ProbeResult& r) {
  if (const std::string status = demo::status_line(r.reply); !status.empty()) return status;
  if (!r.alert.empty()) return "TLS alert \"" + r.alert + "\"";
  if (r.error.find("reset") != std::string::npos) return "connection reset, no reply";
  if (r.eof) return "connection closed, no reply";
  return r.error.empty() ? "no reply" : r.error;
}

class NetnsStory {
 public:
  NetnsStory(Report& report, demo::NetnsLab& lab, const demo::DemoPki& pki)
      : report_(report), lab_(lab), pki_(pki), pcap_(pki.dir + "/bridge.pcap") {}

  void run() {
    start_capture();
    {
      const InNetns in_b(lab_.b().ns);  // the service's threads are born in B, and stay there
      service_ = std::make_unique<DemoBackend>();
    }
    print_route();
    start_sidecar(lab_.b().ns, "b", inbound_yaml());
    start_sidecar(lab_.a().ns, "a", outbound_yaml());

    app_request();
    served_ = service_->requests().size();
    {
      const InNetns in_x(lab_.x().ns);
      ProbeOptions rogue = to(lab_.b().address, kInboundPort);
      rogue.ca_file = pki_.ca_bundle;
      rogue.cert_file = pki_.rogue.cert;
      rogue.key_file = pki_.rogue.key;
      rogue.server_name = demo::kBackendDns;
      refused("an attacker in X with a certificate of another CA is refused by B's sidecar",
              tls_probe(rogue, demo::order_request()), "unknown_ca");
      // Last across the bridge: the capture's positive control (see capture()).
      refused("an attacker in X sending plaintext to B:8443 is refused",
              plain_probe(to(lab_.b().address, kInboundPort), attack_), "plaintext");
    }
    capture();
  }

 private:
  void start_capture() {
    const std::string log = pki_.dir + "/tcpdump.log";
    tcpdump_ = lab_.spawn(lab_.bridge_ns(),
                          {demo::NetnsLab::find_tool("tcpdump"), "-i", "br0", "-n", "-U", "-s", "0",
                           "-w", pcap_, "tcp"},
                          log);
    if (!wait_until([&] { return read_file(log).find("listening on") != std::string::npos; }, 5s))
      throw std::runtime_error("tcpdump did not start: " + last_line(log));
  }

  void print_route() const {
    std::printf(
        "  A %-11s app ──plain──▶ outbound sidecar 127.0.0.1:%u ══ mTLS ══▶\n"
        "  B %-11s inbound sidecar :%u ──plain──▶ legacy service 127.0.0.1:%u\n"
        "  X %-11s an attacker on the same bridge; tcpdump records the bridge\n\n",
        lab_.a().address.c_str(), unsigned(kAppSidecarPort), lab_.b().address.c_str(),
        unsigned(kInboundPort), unsigned(service_->port()), lab_.x().address.c_str());
  }

  std::string common_yaml(const demo::IdentityFiles& id) const {
    return "workers: 1\nadmin: { listen: \"127.0.0.1:" + std::to_string(kAdminPort) +
           "\" }\nidentity: { source: file, file: { cert: \"" + id.cert + "\", key: \"" + id.key +
           "\" } }\ntrust: { ca_bundle: \"" + pki_.ca_bundle +
           "\" }\nlimits: { drain_delay: 0s, drain_timeout: 1s }\n";
  }

  std::string inbound_yaml() const {
    return common_yaml(pki_.backend) + "inbound:\n  - { name: " + demo::kInboundName +
           ", listen: \"0.0.0.0:" + std::to_string(kInboundPort) +
           "\", forward: \"127.0.0.1:" + std::to_string(service_->port()) +
           "\", allow: { spiffe_ids: [\"" + demo::kFrontendId + "\"] } }\n";
  }

  std::string outbound_yaml() const {
    return common_yaml(pki_.frontend) + "outbound:\n  - { name: " + demo::kOutboundName +
           ", listen: \"127.0.0.1:" + std::to_string(kAppSidecarPort) + "\", forward: \"" +
           lab_.b().address + ":" + std::to_string(kInboundPort) +
           "\", server_name: " + demo::kBackendDns + ", expect: { spiffe_ids: [\"" +
           demo::kBackendId + "\"] } }\n";
  }

  pid_t start_sidecar(const std::string& ns, const std::string& name, const std::string& yaml) {
    const std::string config = pki_.dir + "/" + name + ".yaml";
    std::ofstream(config) << yaml;
    const std::string log = pki_.dir + "/sidecar-" + name + ".log";
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    const pid_t pid = lab_.spawn(ns, {self, "run", "--config", config, "--log-level", "warn"}, log);
    const bool ready = wait_until(
        [&] {
          if (!lab_.running(pid)) return true;
          return demo::status_line(admin_get(ns, "/ready")) == "HTTP/1.1 200 OK";
        },
        10s);
    if (!ready || !lab_.running(pid))
      throw std::runtime_error("the sidecar in " + ns + " did not become ready: " + last_line(log));
    return pid;
  }

  void app_request() {
    ProbeResult r;
    {
      const InNetns in_a(lab_.a().ns);
      r = plain_probe(to("127.0.0.1", kAppSidecarPort), demo::order_request());
    }
    const auto requests = service_->requests();
    const bool arrived =
        !requests.empty() && requests.back().find(demo::kSecret) != std::string::npos;
    report_.step(demo::status_line(r.reply) == "HTTP/1.1 200 OK" && arrived,
                 "the app in A sends its order in plaintext; the legacy service in B answers");
    report_.detail("request", "POST /orders  \"" + demo::kSecret + "&amount=42.00\"");
    report_.detail("reply", arrived ? client_saw(r) + "  \"" + demo::http_body(r.reply) + "\""
                                    : client_saw(r) + " (the service received nothing)");
  }

  // A refusal shows on both ends: no reply and nothing reaches the service; B's sidecar counts
  // the handshake under `reason`.
  void refused(const std::string& title, const ProbeResult& r, const std::string& reason) {
    double counted = 0;
    wait_until(
        [&] {
          counted = demo::handshakes_with_reason(admin_get(lab_.b().ns, "/metrics"), reason);
          return counted >= 1;
        },
        2s);
    const bool nothing_through =
        demo::status_line(r.reply).empty() && service_->requests().size() == served_;
    report_.step(r.connected && nothing_through && counted == 1, title);
    report_.detail("client", client_saw(r));
    report_.detail("sidecar", "mtls_handshakes_total{reason=\"" + reason + "\"} " +
                                  std::to_string(static_cast<long long>(counted)));
  }

  void capture() {
    // tcpdump -U writes each packet once it has read it, which a loaded machine does late; the
    // attacker's plaintext crossed last, so once the file holds it, it holds the rest.
    wait_until([&] { return read_file(pcap_).find(attack_) != std::string::npos; }, 5s);
    lab_.stop(tcpdump_, SIGTERM);
    const auto s =
        demo::summarize_capture(pcap_, lab_.a().address, lab_.b().address, demo::kSecret, attack_);
    // The control proves the capture could see plaintext: a capture that saw nothing would
    // also hold no card number.
    report_.step(s.handshakes > 0 && s.app_data > 0 && s.marker == 0 && s.control > 0,
                 "tcpdump on the bridge: TLS between A and B, never the card number");
    report_.detail("capture", std::to_string(s.packets) + " TCP packets; " +
                                  std::to_string(s.pair_bytes) +
                                  " payload bytes between A and B, " +
                                  std::to_string(s.handshakes) + " TLS handshake records, " +
                                  std::to_string(s.app_data) + " with TLS application data");
    report_.detail("search", "\"" + demo::kSecret + "\" in " + std::to_string(s.marker) +
                                 " packets; the attacker's plaintext (the control) in " +
                                 std::to_string(s.control));
  }

  Report& report_;
  demo::NetnsLab& lab_;
  const demo::DemoPki& pki_;
  const std::string pcap_;
  const std::string attack_ = "ATTACKER-PLAINTEXT-" + std::to_string(::getpid());
  std::unique_ptr<DemoBackend> service_;
  pid_t tcpdump_ = -1;
  std::size_t served_ = 0;
};

}  // namespace

int run_netns_demo() {
  if (const std::string why = demo::NetnsLab::missing_prerequisite(); !why.empty()) {
    std::fprintf(stderr, "mtls-sidecar: demo --netns %s\n", why.c_str());
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  Report report;
  try {
    demo::NetnsLab lab;
    const demo::DemoPki pki;
    lab.remove_at_exit(pki.dir);
    std::printf(
        "mtls-sidecar demo --netns: two sidecars on two hosts (network namespaces on a bridge),\n"
        "an attacker on a third, tcpdump on the bridge. Certificates, configs, logs and the\n"
        "capture are in %s; it and the namespaces are deleted at the end.\n\n",
        pki.dir.c_str());
    std::fflush(stdout);
    NetnsStory(report, lab, pki).run();
  } catch (const std::exception& e) {
    report.aborted(e.what());
  }
  return report.summary(std::chrono::steady_clock::now() - start);
}

}  // namespace mtls::proxy
