// tune_socket on a listening socket reaches every accepted socket: the listener relies on Linux
// cloning the child from the listener instead of paying 5 setsockopt per connection.
#include <gtest/gtest.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "proxy/listener.hpp"

namespace mtls::proxy {
namespace {

int option(int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  EXPECT_EQ(::getsockopt(fd, level, name, &value, &length), 0);
  return value;
}

TEST(TuneSocket, AcceptedSocketsInheritTheListenersOptions) {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  tcp::socket untuned_peer(io);
  untuned_peer.connect(acceptor.local_endpoint());
  tcp::socket before = acceptor.accept();
  EXPECT_EQ(option(before.native_handle(), IPPROTO_TCP, TCP_NODELAY), 0) << "proves nothing";

  tune_socket(acceptor.native_handle());
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket accepted = acceptor.accept();
  const int fd = accepted.native_handle();
  EXPECT_NE(option(fd, IPPROTO_TCP, TCP_NODELAY), 0);
  EXPECT_NE(option(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
  EXPECT_EQ(option(fd, IPPROTO_TCP, TCP_KEEPIDLE), 60);
  EXPECT_EQ(option(fd, IPPROTO_TCP, TCP_KEEPINTVL), 10);
  EXPECT_EQ(option(fd, IPPROTO_TCP, TCP_KEEPCNT), 6);
}

}  // namespace
}  // namespace mtls::proxy
