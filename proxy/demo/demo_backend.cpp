#include "proxy/demo/demo_backend.hpp"

#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "proxy/demo/demo_sockets.hpp"

namespace mtls::proxy {
namespace {

constexpr int kReadTimeoutMs = 5000;  // http: a silent client must not stall the demo's later steps

// Body length announced by the head, 0 if none (the demo's clients never chunk).
std::size_t content_length(std::string_view head) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  const std::size_t at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  return std::strtoul(lower.c_str() + at + 17, nullptr, 10);
}

// Returns the body size once the head and the whole body are in, else npos.
std::size_t complete_body(const std::string& request) {
  const std::size_t end = request.find("\r\n\r\n");
  if (end == std::string::npos) return std::string::npos;
  const std::size_t expected = content_length(std::string_view(request).substr(0, end + 2));
  const std::size_t have = request.size() - (end + 4);
  return have >= expected ? expected : std::string::npos;
}

std::string make_response(std::size_t body_bytes) {
  const std::string body =
      "hello from the legacy service; got " + std::to_string(body_bytes) + " bytes\n";
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

std::string hex(const unsigned char* data, unsigned size) {
  static const char* digits = "0123456789abcdef";
  std::string text;
  for (unsigned i = 0; i < size; ++i) text += {digits[data[i] >> 4], digits[data[i] & 15]};
  return text;
}

}  // namespace

struct DemoBackend::Impl {
  Mode mode = Mode::http;
  demo::Fd listener;
  std::uint16_t port = 0;
  demo::StopPipe stop;
  std::atomic<bool> released{false};
  std::atomic<int> connections{0};
  mutable std::mutex mutex;
  std::vector<std::string> requests;  // guarded by mutex
  std::vector<std::thread> serving;   // guarded by mutex
  std::thread acceptor;

  void run();
  void serve(demo::Fd fd);
  void serve_http(int fd);
  void serve_stream(int fd);
  // Readable before `timeout_ms` (-1: no limit) and not stopped.
  bool wait_readable(int fd, int timeout_ms) const;
};

bool DemoBackend::Impl::wait_readable(int fd, int timeout_ms) const {
  pollfd fds[2] = {{stop.read_fd(), POLLIN, 0}, {fd, POLLIN, 0}};
  int rc;
  do {
    rc = ::poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0 && fds[0].revents == 0;
}

void DemoBackend::Impl::run() {
  while (wait_readable(listener.get(), -1)) {
    demo::Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) continue;
    ++connections;
    std::lock_guard lock(mutex);
    serving.emplace_back([this, fd = std::move(conn)]() mutable { serve(std::move(fd)); });
  }
}

void DemoBackend::Impl::serve(demo::Fd fd) {
  if (mode == Mode::http) return serve_http(fd.get());
  serve_stream(fd.get());
}

void DemoBackend::Impl::serve_http(int fd) {
  std::string request;
  char buf[4096];
  std::size_t body = std::string::npos;
  while ((body = complete_body(request)) == std::string::npos) {
    if (!wait_readable(fd, kReadTimeoutMs)) return;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;  // closed before a whole request: nothing to answer
    request.append(buf, std::size_t(n));
  }
  {
    std::lock_guard lock(mutex);
    requests.push_back(request);
  }
  demo::send_all(fd, make_response(body));
  ::shutdown(fd, SHUT_WR);  // "Connection: close", as a FIN the sidecars must carry through
}

void DemoBackend::Impl::serve_stream(int fd) {
  // A slow reader reads nothing until released (or stopped), so the sender's buffers fill up.
  while (mode == Mode::slow && !released) {
    pollfd p{stop.read_fd(), POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) return;
  }
  std::vector<char> buf(64 * 1024);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
  for (;;) {
    if (!wait_readable(fd, -1)) return;  // stopped
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (mode == Mode::echo && !demo::send_all(fd, std::string_view(buf.data(), std::size_t(n))))
      return;
    if (mode == Mode::hash) EVP_DigestUpdate(md.get(), buf.data(), std::size_t(n));
  }
  if (mode == Mode::hash) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(md.get(), out, &len);
    demo::send_all(fd, hex(out, len));
  }
}

DemoBackend::DemoBackend(Mode mode) : impl_(std::make_unique<Impl>()) {
  impl_->mode = mode;
  impl_->listener = demo::listen_loopback(impl_->port);
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->run(); });
}

DemoBackend::~DemoBackend() {
  impl_->stop.signal();
  impl_->acceptor.join();
  std::lock_guard lock(impl_->mutex);
  for (std::thread& t : impl_->serving) t.join();
}

std::uint16_t DemoBackend::port() const { return impl_->port; }

std::vector<std::string> DemoBackend::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

int DemoBackend::connections() const { return impl_->connections.load(); }

void DemoBackend::release() { impl_->released = true; }

}  // namespace mtls::proxy
