#pragma once
// A tiny plaintext HTTP/1.1 "legacy service" on 127.0.0.1 (ephemeral port), own thread:
// answers every request with 200 and a short body naming what it received, remembers the
// requests it saw. For the demo and tests; not a general server.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mtls::proxy {

class DemoBackend {
 public:
  DemoBackend();   // binds and starts; throws on failure
  ~DemoBackend();  // stops and joins
  std::uint16_t port() const;
  std::vector<std::string> requests() const;  // raw request heads+bodies, in arrival order

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mtls::proxy
