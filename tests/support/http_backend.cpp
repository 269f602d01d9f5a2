#include "tests/support/http_backend.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/support/backends.hpp"

namespace mtls::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    data += w;
    n -= std::size_t(w);
  }
  return true;
}
bool write_all(int fd, const std::string& s) { return write_all(fd, s.data(), s.size()); }

// Reads into `buf` until it holds `n` bytes past `from` (or EOF / error / timeout).
bool read_until(int fd, std::string& buf, const std::function<bool()>& done, int timeout_ms,
                const std::function<void(const char*, std::size_t)>& record = nullptr) {
  char tmp[65536];
  while (!done()) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    const ssize_t r = ::recv(fd, tmp, sizeof tmp, 0);
    if (r <= 0) return false;
    if (record) record(tmp, std::size_t(r));
    buf.append(tmp, std::size_t(r));
  }
  return true;
}

// Decodes a chunked body from the front of `buf` (reading more as needed); false on EOF/error.
bool read_chunked(int fd, std::string& buf, std::string& body, int timeout_ms,
                  const std::function<void(const char*, std::size_t)>& record = nullptr) {
  for (;;) {
    std::size_t eol;
    if (!read_until(
            fd, buf, [&] { return (eol = buf.find("\r\n")) != std::string::npos; }, timeout_ms,
            record))
      return false;
    const std::size_t size = std::stoul(buf.substr(0, eol), nullptr, 16);
    buf.erase(0, eol + 2);
    if (size == 0) {
      std::size_t end;
      if (!read_until(
              fd, buf, [&] { return (end = buf.find("\r\n")) != std::string::npos; }, timeout_ms,
              record))
        return false;
      buf.erase(0, end + 2);  // no trailers in these tests
      return true;
    }
    if (!read_until(
            fd, buf, [&] { return buf.size() >= size + 2; }, timeout_ms, record))
      return false;
    body.append(buf, 0, size);
    buf.erase(0, size + 2);
  }
}

}  // namespace

std::string field_of(const std::string& head, const std::string& name) {
  const std::string l = lower(head);
  const std::string key = "\r\n" + lower(name) + ":";
  const std::size_t at = l.find(key);
  if (at == std::string::npos) return "";
  std::size_t begin = at + key.size();
  while (begin < head.size() && head[begin] == ' ') ++begin;
  const std::size_t end = head.find("\r\n", begin);
  return head.substr(begin, end - begin);
}

struct HttpBackend::Threads {
  std::mutex mutex;
  std::vector<std::thread> all;
  std::thread acceptor;
};

HttpBackend::HttpBackend() : threads_(std::make_unique<Threads>()) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0)
    throw std::runtime_error("http backend: cannot listen");
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  threads_->acceptor = std::thread([this] { accept_loop(); });
}

HttpBackend::~HttpBackend() {
  stop_ = true;
  threads_->acceptor.join();
  ::close(listen_fd_);
  std::lock_guard lock(threads_->mutex);
  for (auto& t : threads_->all) t.join();
}

std::string HttpBackend::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

void HttpBackend::accept_loop() {
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

void HttpBackend::serve(int fd) {
  const auto record = [this](const char* data, std::size_t n) {
    std::lock_guard lock(mutex_);
    received_.append(data, n);
  };
  const int timeout = 30000;
  std::string buf;
  for (;;) {
    std::size_t end;
    if (!read_until(
            fd, buf, [&] { return (end = buf.find("\r\n\r\n")) != std::string::npos; }, timeout,
            record))
      break;
    const std::string head = buf.substr(0, end + 4);
    buf.erase(0, end + 4);
    ++requests_;
    const std::string line = head.substr(0, head.find("\r\n"));
    const std::string method = line.substr(0, line.find(' '));
    const std::string target = line.substr(method.size() + 1, line.rfind(' ') - method.size() - 1);
    std::string body;
    bool ok = true;
    if (lower(field_of(head, "transfer-encoding")) == "chunked") {
      ok = read_chunked(fd, buf, body, timeout, record);
    } else if (const std::string cl = field_of(head, "content-length"); !cl.empty()) {
      const std::size_t n = std::stoul(cl);
      ok = read_until(
          fd, buf, [&] { return buf.size() >= n; }, timeout, record);
      if (ok) {
        body = buf.substr(0, n);
        buf.erase(0, n);
      }
    }
    if (!ok) break;
    const bool close = lower(field_of(head, "connection")) == "close";
    const std::string keep = close ? "Connection: close\r\n" : "";
    if (method == "CONNECT" || !field_of(head, "upgrade").empty()) {
      const std::string reply = method == "CONNECT"
                                    ? "HTTP/1.1 200 Connection Established\r\n\r\n"
                                    : "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
                                      "Upgrade: " +
                                          field_of(head, "upgrade") + "\r\n\r\n";
      if (!write_all(fd, reply) || (!buf.empty() && !write_all(fd, buf))) break;
      char tmp[65536];
      for (;;) {  // echo until EOF
        const ssize_t r = ::recv(fd, tmp, sizeof tmp, 0);
        if (r <= 0) break;
        record(tmp, std::size_t(r));
        if (!write_all(fd, tmp, std::size_t(r))) break;
      }
      ::shutdown(fd, SHUT_WR);
      break;
    }
    if (method == "GET" && target.rfind("/download/", 0) == 0) {
      const std::size_t n = std::stoul(target.substr(10));
      const std::string data = random_bytes(n, 7);
      if (!write_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" + keep + "\r\n"))
        break;
      bool sent = true;
      for (std::size_t i = 0; i < n && sent; i += 16384) {
        const std::size_t k = std::min<std::size_t>(16384, n - i);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", k);
        sent = write_all(fd, size) && write_all(fd, data.data() + i, k) && write_all(fd, "\r\n");
      }
      if (!sent || !write_all(fd, "0\r\n\r\n")) break;
    } else {
      const std::string reply_body =
          target == "/upload" ? std::to_string(body.size()) + " " + sha256_hex(body) : head;
      // HEAD: the head GET would get, without its body.
      if (!write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(reply_body.size()) +
                             "\r\n" + keep + "\r\n" +
                             (method == "HEAD" ? std::string() : reply_body)))
        break;
    }
    if (close) break;
  }
  ::close(fd);
}

HttpConnection::HttpConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool HttpConnection::send(const std::string& bytes) { return write_all(fd_, bytes); }

void HttpConnection::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

HttpReply HttpConnection::read_reply(bool head_only, int timeout_ms) {
  HttpReply reply;
  std::size_t end;
  if (!read_until(
          fd_, buffer_, [&] { return (end = buffer_.find("\r\n\r\n")) != std::string::npos; },
          timeout_ms)) {
    reply.closed = true;
    return reply;
  }
  reply.head = buffer_.substr(0, end + 4);
  buffer_.erase(0, end + 4);
  const int status = std::atoi(reply.head.c_str() + 9);
  bool ok = true;
  if (!head_only && status != 101 && status != 204 && status != 304) {
    if (lower(field_of(reply.head, "transfer-encoding")) == "chunked") {
      ok = read_chunked(fd_, buffer_, reply.body, timeout_ms);
    } else if (const std::string cl = field_of(reply.head, "content-length"); !cl.empty()) {
      const std::size_t n = std::stoul(cl);
      ok = read_until(
          fd_, buffer_, [&] { return buffer_.size() >= n; }, timeout_ms);
      if (ok) {
        reply.body = buffer_.substr(0, n);
        buffer_.erase(0, n);
      }
    }
  }
  if (ok) reply.status = status;
  reply.closed = lower(field_of(reply.head, "connection")) == "close";
  return reply;
}

std::string HttpConnection::read_raw(std::size_t n, int timeout_ms) {
  read_until(
      fd_, buffer_, [&] { return buffer_.size() >= n; }, timeout_ms);
  std::string out = buffer_.substr(0, std::min(n, buffer_.size()));
  buffer_.erase(0, out.size());
  return out;
}

}  // namespace mtls::test
