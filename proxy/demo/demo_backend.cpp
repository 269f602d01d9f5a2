#include "proxy/demo/demo_backend.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "proxy/demo/demo_sockets.hpp"

namespace mtls::proxy {
namespace {

constexpr int kReadTimeoutMs = 5000;  // a silent client must not stall the demo's later steps

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

}  // namespace

struct DemoBackend::Impl {
  demo::Fd listener;
  std::uint16_t port = 0;
  demo::StopPipe stop;
  mutable std::mutex mutex;
  std::vector<std::string> requests;  // guarded by mutex
  std::thread thread;

  void run();
  void serve(int fd);
  bool wait_readable(int fd, int timeout_ms) const;
};

bool DemoBackend::Impl::wait_readable(int fd, int timeout_ms) const {
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop.read_fd(), POLLIN, 0}};
  int rc;
  do {
    rc = ::poll(fds, 2, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0 && fds[1].revents == 0;
}

void DemoBackend::Impl::run() {
  // One connection at a time: the demo's clients are sequential, and a serial server keeps
  // the order of requests() the order of arrival.
  while (wait_readable(listener.get(), -1)) {
    demo::Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn) serve(conn.get());
  }
}

void DemoBackend::Impl::serve(int fd) {
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

DemoBackend::DemoBackend() : impl_(std::make_unique<Impl>()) {
  impl_->listener = demo::listen_loopback(impl_->port);
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

DemoBackend::~DemoBackend() {
  impl_->stop.signal();
  impl_->thread.join();
}

std::uint16_t DemoBackend::port() const { return impl_->port; }

std::vector<std::string> DemoBackend::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

}  // namespace mtls::proxy
