#pragma once
// Plaintext backends for integration tests, on 127.0.0.1 with an ephemeral port, a thread per
// connection (blocking sockets: simple, and the tests' own timing is not measured here).
//   echo: writes back every byte until EOF, then closes.
//   hash: reads until EOF, then writes the SHA-256 hex of what it read and closes (half-close).
//   slow: accepts and reads nothing until release() (a slow reader: backpressure tests).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mtls::test {

class Backend {
 public:
  enum class Mode { echo, hash, slow };
  explicit Backend(Mode mode);
  ~Backend();
  std::uint16_t port() const { return port_; }
  void release();  // slow mode: start draining what was sent
  int connections() const { return connections_.load(); }

 private:
  void accept_loop();
  void serve(int fd);

  Mode mode_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> released_{false};
  std::atomic<int> connections_{0};
  struct Threads;
  std::unique_ptr<Threads> threads_;
};

// Blocking plaintext client: connect, send `data` (in chunks), shut down writing, read until EOF.
struct PlainExchange {
  bool connected = false;
  std::string reply;
  bool eof = false;
};
PlainExchange plain_exchange(std::uint16_t port, const std::string& data, int timeout_ms = 20000);

// A loopback port nothing listens on any more (a backend's, once it stopped): a refused upstream.
std::uint16_t closed_port();

std::string sha256_hex(const std::string& data);
std::string random_bytes(std::size_t n, unsigned seed);

}  // namespace mtls::test
