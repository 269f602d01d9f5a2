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

ForeignListener::ForeignListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  const int on = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd_, 8) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("foreign listener: cannot listen");
  }
  port_ = ntohs(addr.sin_port);
}

ForeignListener::~ForeignListener() { ::close(fd_); }

std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), n) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0)
    throw std::runtime_error("closed_port: cannot bind 127.0.0.1:0");
  return ntohs(a.sin_port);  // fd stays open: the port stays ours
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
