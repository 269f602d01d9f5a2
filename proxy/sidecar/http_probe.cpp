#include "proxy/sidecar/http_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>

namespace mtls::proxy {
namespace {

using Clock = std::chrono::steady_clock;

bool is_loopback(const sockaddr_storage& sa) {
  if (sa.ss_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in&>(sa).sin_addr.s_addr) >> 24) == 127;
  const auto& a6 = reinterpret_cast<const sockaddr_in6&>(sa).sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(&a6);
}

bool to_sockaddr(const config::HostPort& hp, sockaddr_storage& sa, socklen_t& len) {
  std::memset(&sa, 0, sizeof sa);
  auto& a4 = reinterpret_cast<sockaddr_in&>(sa);
  auto& a6 = reinterpret_cast<sockaddr_in6&>(sa);
  if (inet_pton(AF_INET, hp.host.c_str(), &a4.sin_addr) == 1) {
    a4.sin_family = AF_INET;
    a4.sin_port = htons(hp.port);
    len = sizeof a4;
    return true;
  }
  if (inet_pton(AF_INET6, hp.host.c_str(), &a6.sin6_addr) == 1) {
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(hp.port);
    len = sizeof a6;
    return true;
  }
  return false;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Waits for `events` until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// The Content-Length of a response head, if it names one.
std::optional<std::size_t> content_length(std::string_view head) {
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;) {
    const std::size_t next = head.find("\r\n", at + 2);
    const std::string_view field = head.substr(at + 2, next - at - 2);
    at = next;
    constexpr std::string_view kName = "content-length:";
    if (field.size() <= kName.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < kName.size(); ++i)
      same = same && std::tolower(static_cast<unsigned char>(field[i])) == kName[i];
    if (!same) continue;
    std::size_t n = 0;
    const std::string_view digits = field.substr(field.find_first_not_of(' ', kName.size()));
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos ||
        digits.size() > 9)
      return std::nullopt;
    for (const char c : digits) n = n * 10 + std::size_t(c - '0');
    return n;
  }
  return std::nullopt;
}

std::string seconds_text(std::chrono::milliseconds t) {
  return t.count() % 1000 == 0 ? std::to_string(t.count() / 1000) + "s"
                               : std::to_string(t.count()) + "ms";
}

}  // namespace

bool parse_probe_url(std::string_view url, bool allow_remote, ProbeTarget& out, std::string& why) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    why = "only http:// URLs (the admin port speaks plain HTTP)";
    return false;
  }
  std::string_view rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string host_why;
  if (!config::parse_host_port(authority, out.address, host_why)) {
    why = "\"" + std::string(authority) + "\": " + host_why;
    return false;
  }
  if (out.address.host == "localhost") out.address.host = "127.0.0.1";
  sockaddr_storage sa;
  socklen_t len = 0;
  if (!to_sockaddr(out.address, sa, len)) {
    why = "\"" + out.address.host + "\" is not an IP address (a probe resolves no names)";
    return false;
  }
  if (!allow_remote && !is_loopback(sa)) {
    why = out.address.host + " is not a loopback address (--allow-remote to probe it)";
    return false;
  }
  for (const char c : out.path) {
    if (c <= ' ' || c == 0x7f) {
      why = "the path has a space or control character";
      return false;
    }
  }
  return true;
}

ProbeTarget status_target(const std::string& admin_url) {
  std::string url = admin_url.find("://") == std::string::npos ? "http://" + admin_url : admin_url;
  if (url.size() > 7 && url.back() == '/') url.pop_back();
  ProbeTarget target;
  std::string why;
  if (!parse_probe_url(url, /*allow_remote=*/true, target, why) || target.path != "/")
    throw std::invalid_argument("--admin " + admin_url + ": expected http://HOST:PORT" +
                                (why.empty() ? "" : " (" + why + ")"));
  target.path = "/status";
  return target;
}

HttpProbeResult http_probe(const ProbeTarget& target, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  HttpProbeResult r;
  const auto fail = [&r](std::string what) {
    r.detail = std::move(what);
    return r;
  };
  sockaddr_storage sa;
  socklen_t len = 0;
  if (!to_sockaddr(target.address, sa, len)) return fail("not an IP address");
  Fd s{::socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return fail(std::string("socket: ") + std::strerror(errno));
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    if (errno != EINPROGRESS) return fail(std::string("connect: ") + std::strerror(errno));
    if (!wait_for(s.fd, POLLOUT, deadline))
      return fail("connect: no answer within " + seconds_text(timeout));
    int err = 0;
    socklen_t err_len = sizeof err;
    ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err != 0) return fail(std::string("connect: ") + std::strerror(err));
  }
  const std::string request = "GET " + target.path +
                              " HTTP/1.0\r\nHost: " + target.address.to_string() +
                              "\r\nUser-Agent: mtls-sidecar-probe\r\nConnection: close\r\n\r\n";
  for (std::size_t sent = 0; sent < request.size();) {
    if (!wait_for(s.fd, POLLOUT, deadline))
      return fail("send: no progress within " + seconds_text(timeout));
    const ssize_t n = ::send(s.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return fail(std::string("send: ") + std::strerror(errno));
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  // The head must arrive within the deadline and within 16 KiB.
  std::string data;
  std::size_t head_end = std::string::npos;
  bool closed = false;
  const auto receive = [&]() -> bool {  // false on timeout or error; `closed` at EOF
    if (!wait_for(s.fd, POLLIN, deadline)) return false;
    char buf[16384];
    const ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n == 0) closed = true;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    if (n > 0) data.append(buf, static_cast<std::size_t>(n));
    return true;
  };
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos && !closed &&
         data.size() < 16384) {
    if (!receive()) return fail("no response within " + seconds_text(timeout));
  }
  const std::string line = data.substr(0, data.find("\r\n"));
  r.status = static_cast<unsigned>(std::stoul(line.substr(9, 3)));
  r.detail = line.substr(9);
  if (head_end == std::string::npos) return fail("the response head never ended");
  const std::optional<std::size_t> length = content_length(data.substr(0, head_end));
  data.erase(0, head_end + 4);
  while (!closed && (!length || data.size() < *length) && data.size() <= kMaxProbeBody) {
    if (!receive())
      return fail(r.detail + ", then the body stopped after " + std::to_string(data.size()) +
                  " bytes");
  }
  if (data.size() > kMaxProbeBody) return fail(r.detail + ", with a body over 4 MiB");
  if (length && data.size() < *length)
    return fail(r.detail + ", then the body ended after " + std::to_string(data.size()) + " of " +
                std::to_string(*length) + " bytes");
  if (length) data.resize(*length);
  r.body = std::move(data);
  r.ok = r.status >= 200 && r.status < 300;
  return r;
}

}  // namespace mtls::proxy
