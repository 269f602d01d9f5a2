#include "tests/support/backends.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

namespace mtls::test {

struct Backend::Threads {
  std::mutex mutex;
  std::vector<std::thread> all;
  std::thread acceptor;
};

Backend::Backend(Mode mode) : mode_(mode), threads_(std::make_unique<Threads>()) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 1024) != 0)
    throw std::runtime_error("backend: cannot listen");
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  threads_->acceptor = std::thread([this] { accept_loop(); });
}

Backend::~Backend() {
  stop_ = true;
  released_ = true;
  threads_->acceptor.join();
  ::close(listen_fd_);
  std::lock_guard lock(threads_->mutex);
  for (auto& t : threads_->all) t.join();
}

void Backend::release() { released_ = true; }

void Backend::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard lock(threads_->mutex);
    threads_->all.emplace_back([this, fd] { serve(fd); });
  }
}

void Backend::serve(int fd) {
  timeval tv{0, 100 * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<char> buf(64 * 1024);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  for (;;) {
    if (stop_) break;
    if (mode_ == Mode::slow && !released_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) break;
    if (mode_ == Mode::echo) {
      for (ssize_t off = 0; off < n;) {
        const ssize_t w = ::send(fd, buf.data() + off, size_t(n - off), MSG_NOSIGNAL);
        if (w <= 0) goto done;
        off += w;
      }
    } else if (mode_ == Mode::hash) {
      EVP_DigestUpdate(md, buf.data(), size_t(n));
    }
  }
  if (mode_ == Mode::hash && !stop_) {
    unsigned char out[32];
    unsigned len = 0;
    EVP_DigestFinal_ex(md, out, &len);
    static const char* hex = "0123456789abcdef";
    std::string text;
    for (unsigned i = 0; i < len; ++i) text += {hex[out[i] >> 4], hex[out[i] & 15]};
    ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
  }
done:
  EVP_MD_CTX_free(md);
  ::close(fd);
}

std::uint16_t closed_port() {
  Backend gone(Backend::Mode::echo);
  return gone.port();
}

PlainExchange plain_exchange(std::uint16_t port, const std::string& data, int timeout_ms) {
  PlainExchange out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  out.connected = true;
  // Send and receive concurrently: an echo reply can fill the socket buffers before all is sent.
  std::thread reader([&] {
    std::vector<char> buf(64 * 1024);
    for (;;) {
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n == 0) out.eof = true;
      if (n <= 0) break;
      out.reply.append(buf.data(), size_t(n));
    }
  });
  for (std::size_t off = 0; off < data.size();) {
    const ssize_t w = ::send(fd, data.data() + off,
                             std::min<std::size_t>(data.size() - off, 1 << 20), MSG_NOSIGNAL);
    if (w <= 0) break;
    off += std::size_t(w);
  }
  ::shutdown(fd, SHUT_WR);
  reader.join();
  ::close(fd);
  return out;
}

std::string sha256_hex(const std::string& data) {
  unsigned char out[32];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string text;
  for (unsigned i = 0; i < len; ++i) text += {hex[out[i] >> 4], hex[out[i] & 15]};
  return text;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t v = rng();
    for (std::size_t j = 0; j < 8 && i + j < n; ++j) s[i + j] = char(v >> (8 * j));
  }
  return s;
}

}  // namespace mtls::test
