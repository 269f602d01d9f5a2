#pragma once
// What `mtls-sidecar demo` runs: a throwaway PKI in a temp directory and the four processes'
// worth of pieces (legacy service, inbound sidecar, wire tap, outbound sidecar), all in-process.
// Owned by run_demo() on one thread; the pieces run their own threads.

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "proxy/demo/demo_backend.hpp"
#include "proxy/demo/wire_tap.hpp"
#include "proxy/sidecar/sidecar.hpp"

namespace mtls::proxy::demo {

inline constexpr const char* kTrustDomain = "demo.local";
inline constexpr const char* kFrontendId = "spiffe://demo.local/ns/default/sa/frontend";
inline constexpr const char* kBackendId = "spiffe://demo.local/ns/default/sa/backend";
inline constexpr const char* kIntruderId = "spiffe://demo.local/ns/default/sa/intruder";
inline constexpr const char* kBackendDns = "backend.local";
inline constexpr const char* kInboundName = "legacy";    // the inbound listener (its metrics label)
inline constexpr const char* kOutboundName = "backend";  // the outbound listener
// What the app sends: an order whose card number must never cross the network in the clear.
inline const std::string kSecret = "card=4111-1111-1111-1111";
std::string order_request();  // POST /orders carrying kSecret, Connection: close

struct IdentityFiles {
  std::string cert;  // leaf, then its CA
  std::string key;
};

// A temp directory (mkdtemp under /tmp, removed by the destructor) holding the demo CA and
// every certificate the steps use. Throws on any failure.
class DemoPki {
 public:
  DemoPki();
  ~DemoPki();
  DemoPki(const DemoPki&) = delete;
  DemoPki& operator=(const DemoPki&) = delete;

  std::string dir;
  std::string ca_name;     // subject CN of the demo CA
  std::string ca_bundle;   // DIR/ca/ca.crt
  IdentityFiles frontend;  // the client app's (outbound) sidecar
  IdentityFiles backend;   // the inbound sidecar: SPIFFE ID + DNS backend.local
  IdentityFiles rogue;     // the frontend's SPIFFE ID, issued by an unrelated CA
  IdentityFiles intruder;  // issued by the demo CA, SPIFFE ID not on the allow-list
};

config::Config inbound_config(const DemoPki& pki, std::uint16_t service_port);
config::Config outbound_config(const DemoPki& pki, std::uint16_t tap_port);

// Everything running, wired service <- inbound <- tap <- outbound. Built in that order (each
// needs the previous one's port) and stopped in the reverse order.
class DemoStack {
 public:
  explicit DemoStack(const DemoPki& pki);  // throws if a sidecar does not start
  ~DemoStack();
  DemoStack(const DemoStack&) = delete;
  DemoStack& operator=(const DemoStack&) = delete;

  DemoBackend& service() { return *service_; }
  Sidecar& inbound() { return *inbound_; }
  WireTap& tap() { return *tap_; }
  Sidecar& outbound() { return *outbound_; }
  std::uint16_t inbound_port() const { return inbound_->port(kInboundName); }
  std::uint16_t outbound_port() const { return outbound_->port(kOutboundName); }

 private:
  std::unique_ptr<DemoBackend> service_;
  std::unique_ptr<Sidecar> inbound_;
  std::unique_ptr<WireTap> tap_;
  std::unique_ptr<Sidecar> outbound_;
};

}  // namespace mtls::proxy::demo
