#include "proxy/demo/demo_setup.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "certs/local_ca.hpp"
#include "certs/peer_identity.hpp"

namespace mtls::proxy::demo {
namespace {

using namespace std::chrono_literals;

std::string make_temp_dir() {
  std::string dir = "/tmp/mtls-demo-XXXXXX";
  if (!::mkdtemp(dir.data()))
    throw std::runtime_error(std::string("cannot create a temp dir in /tmp: ") +
                             std::strerror(errno));
  return dir;
}

IdentityFiles issue_to(const certs::LocalCa& ca, const std::string& dir,
                       const std::string& spiffe_id, std::vector<std::string> dns_names = {}) {
  certs::LeafRequest request;
  request.spiffe_id = spiffe_id;
  request.dns_names = std::move(dns_names);
  request.ttl = 1h;  // outlives the demo by far; nothing is kept afterwards anyway
  certs::write_issued(dir, ca.issue(request), ca.certificate());
  return {dir + "/tls.crt", dir + "/tls.key"};
}

config::Config base_config(const IdentityFiles& identity, const std::string& ca_bundle) {
  config::Config c;
  c.workers = 1;
  c.identity.source = config::IdentitySource::file;
  c.identity.file.cert = identity.cert;
  c.identity.file.key = identity.key;
  c.trust.ca_bundle = ca_bundle;
  // Everything is on loopback: short limits turn a bug into a quick failure, not a long hang.
  c.limits.handshake_timeout = 3s;
  c.limits.connect_timeout = 2s;
  c.limits.drain_delay = 0s;
  c.limits.drain_timeout = 1s;
  return c;
}

}  // namespace

DemoPki::DemoPki() : dir(make_temp_dir()) {
  try {
    const auto ca = certs::LocalCa::init(dir + "/ca", kTrustDomain);
    ca_name = certs::extract_identity(ca.certificate()).common_name;
    ca_bundle = dir + "/ca/ca.crt";
    frontend = issue_to(ca, dir + "/frontend", kFrontendId);
    backend = issue_to(ca, dir + "/backend", kBackendId, {kBackendDns});
    intruder = issue_to(ca, dir + "/intruder", kIntruderId);
    const auto rogue_ca = certs::LocalCa::generate("rogue CA");
    rogue = issue_to(rogue_ca, dir + "/rogue", kFrontendId);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(dir,
                                ignored);  // the destructor does not run for a throwing constructor
    throw;
  }
}

DemoPki::~DemoPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

std::string order_request() {
  const std::string body = kSecret + "&amount=42.00";
  return "POST /orders HTTP/1.1\r\nHost: backend.local\r\n"
         "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

config::Config inbound_config(const DemoPki& pki, std::uint16_t service_port) {
  config::Config c = base_config(pki.backend, pki.ca_bundle);
  config::InboundListener l;
  l.name = kInboundName;
  l.listen = {"127.0.0.1", 0};
  l.forward = {"127.0.0.1", service_port};
  l.allow.spiffe_ids = {kFrontendId};
  c.inbound.push_back(std::move(l));
  return c;
}

config::Config outbound_config(const DemoPki& pki, std::uint16_t tap_port) {
  config::Config c = base_config(pki.frontend, pki.ca_bundle);
  config::OutboundListener l;
  l.name = kOutboundName;
  l.listen = {"127.0.0.1", 0};
  l.forward = {"127.0.0.1", tap_port};
  l.server_name = kBackendDns;
  l.expect.spiffe_ids = {kBackendId};
  c.outbound.push_back(std::move(l));
  return c;
}

// Members are declared service, inbound, tap, outbound: destroyed in reverse, so traffic stops
// at its source first, and a throw half-way still stops what had started (~Sidecar stops).
DemoStack::DemoStack(const DemoPki& pki) {
  const SidecarOptions options{.handle_signals = false, .admin = false};
  service_ = std::make_unique<DemoBackend>();
  inbound_ = std::make_unique<Sidecar>(inbound_config(pki, service_->port()), options);
  inbound_->start();
  tap_ = std::make_unique<WireTap>("127.0.0.1", inbound_port());
  outbound_ = std::make_unique<Sidecar>(outbound_config(pki, tap_->port()), options);
  outbound_->start();
}

DemoStack::~DemoStack() = default;

}  // namespace mtls::proxy::demo
