// adopt_non_blocking and mark_sole_owner (proxy/socket_state.hpp) each save one system call per
// connection: this binary counts the calls (it defines epoll_ctl and ioctl itself, which the
// dynamic linker prefers over libc's, and forwards them), and checks that the sockets still
// behave: would_block instead of blocking, and a closed descriptor's number reused at once.
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include <atomic>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdarg>

#include "proxy/socket_state.hpp"

namespace {
std::atomic<int> g_epoll_del{0};
std::atomic<int> g_fionbio{0};
}  // namespace

extern "C" int epoll_ctl(int epfd, int op, int fd, struct epoll_event* event) noexcept {
  using Fn = int (*)(int, int, int, struct epoll_event*);
  static const auto real = reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, "epoll_ctl"));
  if (op == EPOLL_CTL_DEL) ++g_epoll_del;
  return real(epfd, op, fd, event);
}

extern "C" int ioctl(int fd, unsigned long request, ...) noexcept {
  using Fn = int (*)(int, unsigned long, void*);
  static const auto real = reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, "ioctl"));
  va_list args;
  va_start(args, request);
  void* arg = va_arg(args, void*);
  va_end(args);
  if (request == FIONBIO) ++g_fionbio;
  return real(fd, request, arg);
}

namespace mtls::proxy {
namespace {

struct SocketState : ::testing::Test {
  net::io_context io{1};
  tcp::acceptor acceptor{io, {net::ip::address_v4::loopback(), 0}};

  // A connected pair: `ours` as Asio's acceptor hands it out (registered with the reactor).
  void accept_pair(tcp::socket& peer, tcp::socket& ours) {
    peer.connect(acceptor.local_endpoint());
    acceptor.accept(ours);
  }
};

TEST_F(SocketState, AnAcceptedSocketLeavesEpollByItsCloseAlone) {
  tcp::socket peer1(io), plain(io);
  accept_pair(peer1, plain);
  int before = g_epoll_del;
  plain.close();
  ASSERT_EQ(g_epoll_del - before, 1) << "Asio no longer deletes accepted sockets: proves nothing";

  tcp::socket peer2(io), ours(io);
  accept_pair(peer2, ours);
  const int fd = ours.native_handle();
  tcp::socket peer3(io), next(io);
  peer3.connect(acceptor.local_endpoint());  // its own descriptor first, so `next` reuses fd
  mark_sole_owner(ours);
  before = g_epoll_del;
  ours.close();
  EXPECT_EQ(g_epoll_del - before, 0);

  // The number comes back with the next accept; registering it again works only if the close
  // really took the old one out of epoll (EEXIST otherwise), and its input is reported.
  acceptor.accept(next);
  ASSERT_EQ(next.native_handle(), fd);
  net::write(peer3, net::buffer("x", 1));
  bool readable = false;
  next.async_wait(tcp::socket::wait_read, [&](error_code ec) { readable = !ec; });
  io.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(readable);
}

TEST_F(SocketState, AConnectedSocketIsNonBlockingWithoutASecondIoctl) {
  tcp::socket upstream(io);
  error_code connected = net::error::would_block;
  upstream.async_connect(acceptor.local_endpoint(), [&](error_code ec) { connected = ec; });
  io.run_for(std::chrono::seconds(5));
  ASSERT_FALSE(connected);
  tcp::socket server = acceptor.accept();

  const int before = g_fionbio;
  adopt_non_blocking(upstream);
  EXPECT_EQ(g_fionbio - before, 0);
  ASSERT_TRUE(upstream.non_blocking());
  ASSERT_NE(::fcntl(upstream.native_handle(), F_GETFL) & O_NONBLOCK, 0);
  char byte;
  error_code ec;
  EXPECT_EQ(upstream.read_some(net::buffer(&byte, 1), ec), 0u);  // nothing sent: no blocking
  EXPECT_EQ(ec, net::error::would_block);
}

// A socket Asio has not made non-blocking (accepted, never used asynchronously) gets the ioctl.
TEST_F(SocketState, AnAcceptedSocketIsMadeNonBlocking) {
  tcp::socket peer(io), ours(io);
  accept_pair(peer, ours);
  adopt_non_blocking(ours);
  ASSERT_TRUE(ours.non_blocking());
  EXPECT_NE(::fcntl(ours.native_handle(), F_GETFL) & O_NONBLOCK, 0);
}

}  // namespace
}  // namespace mtls::proxy
