#pragma once
// Backends and plaintext helpers for integration tests, on 127.0.0.1 with ephemeral ports.
// The backend is the demo's (proxy/demo/demo_backend.hpp: echo, hash, slow and http modes):
// one implementation for the product's demo and the tests.

#include <cstdint>
#include <string>

#include "proxy/demo/demo_backend.hpp"

namespace mtls::test {

using Backend = proxy::DemoBackend;

// Blocking plaintext client: connect, send `data` (in chunks), shut down writing, read until EOF.
struct PlainExchange {
  bool connected = false;
  std::string reply;
  bool eof = false;
};
PlainExchange plain_exchange(std::uint16_t port, const std::string& data, int timeout_ms = 20000);

// A socket of someone else listening on a loopback port (what makes a start-up fail with
// EADDRINUSE). It sets SO_REUSEADDR, as many servers do: that must not let us share its port.
class ForeignListener {
 public:
  ForeignListener();  // throws when it cannot listen
  ~ForeignListener();
  ForeignListener(const ForeignListener&) = delete;
  ForeignListener& operator=(const ForeignListener&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A loopback port nothing listens on: a refused upstream. Bound, never listened on, and held for
// the life of the process, so no other socket (of this or a test process running beside it) can
// take the port meanwhile, as one could a port that was merely closed.
std::uint16_t closed_port();

std::string sha256_hex(const std::string& data);
std::string random_bytes(std::size_t n, unsigned seed);

}  // namespace mtls::test
