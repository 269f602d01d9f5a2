#pragma once
// A TCP forwarder that records every byte crossing it in both directions: put between the
// outbound and inbound sidecars, it is "the network", and shows what an eavesdropper sees.
// 127.0.0.1, ephemeral port, own thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace mtls::proxy {

class WireTap {
 public:
  WireTap(std::string target_host, std::uint16_t target_port);  // starts at once
  ~WireTap();
  std::uint16_t port() const;
  std::string recorded() const;     // all bytes seen so far, both directions, in arrival order
  std::size_t connections() const;  // connections accepted and forwarded so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mtls::proxy
