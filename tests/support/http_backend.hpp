#pragma once
// An HTTP/1.1 app for the HTTP-mode tests on 127.0.0.1 (a thread per connection, blocking
// sockets). It records every byte it receives on every connection, so a test can show that a
// refused request never reached it. Routes:
//   GET /download/N     200, N bytes of random_bytes(N, 7), chunked in 16 KiB chunks
//   POST|PUT /upload    200, body "<length> <sha256 hex>" of the decoded request body
//   Upgrade: ... (GET)  101, then echoes raw bytes until EOF
//   CONNECT             200, then echoes raw bytes until EOF
//   anything else       200, body = the request head exactly as received
// Keep-alive unless the request says Connection: close.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace mtls::test {

class HttpBackend {
 public:
  HttpBackend();
  ~HttpBackend();
  std::uint16_t port() const { return port_; }
  std::string received() const;  // every byte received so far, all connections
  int requests() const { return requests_.load(); }
  int connections() const { return connections_.load(); }

 private:
  void accept_loop();
  void serve(int fd);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::string received_;
  struct Threads;
  std::unique_ptr<Threads> threads_;
};

// A blocking plaintext HTTP/1.1 client on one connection (keep-alive), for the outbound side.
struct HttpReply {
  int status = 0;       // 0: no (complete) response
  std::string head;     // status line and fields, as received
  std::string body;     // decoded (chunked or Content-Length)
  bool closed = false;  // the server closed after it
};

class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port);
  ~HttpConnection();
  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  // Reads one response (for a HEAD request pass head_only).
  HttpReply read_reply(bool head_only = false, int timeout_ms = 20000);
  // Reads whatever arrives until `n` bytes or EOF / timeout (after a protocol switch).
  std::string read_raw(std::size_t n, int timeout_ms = 5000);
  void shutdown_send();

 private:
  bool fill(int timeout_ms);
  int fd_ = -1;
  std::string buffer_;
};

// The value of field `name` (case-insensitive) in a head, "" when absent.
std::string field_of(const std::string& head, const std::string& name);

}  // namespace mtls::test
