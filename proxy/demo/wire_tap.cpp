#include "proxy/demo/wire_tap.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <thread>
#include <vector>

#include "proxy/demo/demo_sockets.hpp"

namespace mtls::proxy {
namespace {

constexpr int kIoTimeoutMs = 5000;

// One proxied connection. A side whose FIN we have seen is no longer read (its pollfd is
// disabled) but may still be written to: TCP half-close must cross the tap like a real network.
struct Link {
  demo::Fd down, up;
  bool down_reading = true, up_reading = true;
  bool broken = false;
  bool done() const { return broken || (!down_reading && !up_reading); }
};

// A reset on one side becomes a reset on the other (SO_LINGER 0), as a router would pass it on.
void reset_both(Link& link) {
  const linger abort{1, 0};
  for (const demo::Fd* fd : {&link.down, &link.up})
    ::setsockopt(fd->get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  link.broken = true;
}

}  // namespace

struct WireTap::Impl {
  std::string target_host;
  std::uint16_t target_port = 0;
  demo::Fd listener;
  std::uint16_t port = 0;
  demo::StopPipe stop;
  mutable std::mutex mutex;
  std::string recorded;         // guarded by mutex
  std::size_t connections = 0;  // guarded by mutex
  std::thread thread;

  void run();
  void accept_one(std::vector<Link>& links);
  void pump(Link& link, bool downstream);
};

void WireTap::Impl::accept_one(std::vector<Link>& links) {
  demo::Fd down(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!down) return;
  std::string error;
  demo::Fd up = demo::connect_tcp(target_host, target_port, kIoTimeoutMs, error);
  if (!up) return;  // the client sees its connection close, as with an unreachable target
  // Sends block: with a timeout on both sides, a peer that stops reading breaks its own link
  // within seconds instead of stalling every other link and the destructor's join for good.
  demo::set_io_timeout(down.get(), kIoTimeoutMs);
  links.push_back(Link{std::move(down), std::move(up)});
  std::lock_guard lock(mutex);
  ++connections;
}

void WireTap::Impl::pump(Link& link, bool downstream) {
  const demo::Fd& from = downstream ? link.down : link.up;
  const demo::Fd& to = downstream ? link.up : link.down;
  char buf[16384];
  const ssize_t n = ::recv(from.get(), buf, sizeof buf, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n < 0) return reset_both(link);
  if (n == 0) {
    (downstream ? link.down_reading : link.up_reading) = false;
    ::shutdown(to.get(), SHUT_WR);
    return;
  }
  {
    std::lock_guard lock(mutex);
    recorded.append(buf, std::size_t(n));
  }
  if (!demo::send_all(to.get(), std::string_view(buf, std::size_t(n)))) reset_both(link);
}

void WireTap::Impl::run() {
  std::vector<Link> links;
  std::vector<pollfd> fds;
  for (;;) {
    fds.assign({{stop.read_fd(), POLLIN, 0}, {listener.get(), POLLIN, 0}});
    for (const Link& l : links) {  // poll() skips negative fds: a finished side is not watched
      fds.push_back({l.down_reading ? l.down.get() : -1, POLLIN, 0});
      fds.push_back({l.up_reading ? l.up.get() : -1, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents) return;
    // Links first: accept_one() may grow `links`, and fds indexes the old list.
    for (std::size_t i = 0; i < links.size(); ++i) {
      if (fds[2 + 2 * i].revents && !links[i].done()) pump(links[i], true);
      if (fds[3 + 2 * i].revents && !links[i].done()) pump(links[i], false);
    }
    std::erase_if(links, [](const Link& l) { return l.done(); });
    if (fds[1].revents) accept_one(links);
  }
}

WireTap::WireTap(std::string target_host, std::uint16_t target_port)
    : impl_(std::make_unique<Impl>()) {
  impl_->target_host = std::move(target_host);
  impl_->target_port = target_port;
  impl_->listener = demo::listen_loopback(impl_->port);
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

WireTap::~WireTap() {
  impl_->stop.signal();
  impl_->thread.join();
}

std::uint16_t WireTap::port() const { return impl_->port; }

std::string WireTap::recorded() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->recorded;
}

std::size_t WireTap::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connections;
}

}  // namespace mtls::proxy
