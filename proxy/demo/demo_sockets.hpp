#pragma once
// Blocking POSIX socket helpers shared by the demo's helpers (DemoBackend, WireTap, tls_probe):
// they run on their own threads with plain sockets, off the data path, so the sidecar under
// test is the only Asio code in a demo. Not for the data path.
//
// Thread-safety: Fd and StopPipe are owned by one object; StopPipe::signal() from any thread.

#include <cstdint>
#include <string>
#include <string_view>

namespace mtls::proxy::demo {

// Owns a file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A listening TCP socket on 127.0.0.1 with an ephemeral port; throws on failure.
Fd listen_loopback(std::uint16_t& port);

// A connected TCP socket to host:port with send/receive timeouts (0: none); on failure an invalid
// Fd and `error` says why ("connect 127.0.0.1:9: Connection refused").
Fd connect_tcp(const std::string& host, std::uint16_t port, int timeout_ms, std::string& error);

// SO_RCVTIMEO and SO_SNDTIMEO (0: none), so a blocking call on a stuck peer fails instead of
// hanging.
void set_io_timeout(int fd, int timeout_ms);

// Writes every byte (MSG_NOSIGNAL: a vanished peer is an error, not SIGPIPE); false on error.
bool send_all(int fd, std::string_view data);

// A self-pipe: a thread blocked in poll() on read_fd() wakes when signal() is called.
class StopPipe {
 public:
  StopPipe();  // throws on failure
  int read_fd() const { return read_.get(); }
  void signal();

 private:
  Fd read_, write_;
};

}  // namespace mtls::proxy::demo
