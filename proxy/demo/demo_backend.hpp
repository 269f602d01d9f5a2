#pragma once
// The one backend: a plaintext "legacy service" on 127.0.0.1 (ephemeral port), a thread per
// connection, for the demo and the tests. Modes:
//   http: answers each connection's HTTP/1.1 request with 200 and a short body naming what it
//         received, then closes (FIN); remembers the requests (the demo shows them).
//   echo: writes back every byte until EOF, then closes.
//   hash: reads until EOF, then writes the SHA-256 hex of what it read and closes.
//   slow: reads nothing until release(), then drains (a slow reader: backpressure, drain).
// Not a general server.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mtls::proxy {

class DemoBackend {
 public:
  enum class Mode { http, echo, hash, slow };
  explicit DemoBackend(Mode mode = Mode::http);  // binds and starts; throws on failure
  ~DemoBackend();                                // stops and joins
  DemoBackend(const DemoBackend&) = delete;
  DemoBackend& operator=(const DemoBackend&) = delete;

  std::uint16_t port() const;
  std::vector<std::string> requests() const;  // http: raw request heads+bodies, in arrival order
  int connections() const;                    // accepted so far
  void release();                             // slow: start draining what was sent

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mtls::proxy
