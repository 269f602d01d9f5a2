#pragma once
// Two facts about a socket that Asio cannot know and that each cost a system call per connection
// when Asio assumes the worst (tests/bench/findings.md, full-handshake syscalls):
//
// - adopt_non_blocking: after Asio's async_connect the descriptor is already non-blocking (Asio
//   set it for the connect), but only "internally": socket::non_blocking(true) would repeat the
//   ioctl(FIONBIO) just to record that the caller wants would_block from read_some/write_some.
//   Record it without the ioctl.
// - mark_sole_owner: Asio marks every accepted socket "possibly duplicated" (it came in through
//   assign()), so its close first removes it from epoll (epoll_ctl DEL), in case another
//   descriptor keeps the file open and epoll watching. The sidecar never duplicates a
//   connection's descriptor (no dup, no fork), so close() alone removes it.
//
// Like proxy/edge_wait.hpp this reaches into Asio's detail layer (the socket's state bits), so
// it does so only for the Asio version and reactor it was written against; anywhere else it
// falls back to the public calls (and their system calls).

#include "proxy/edge_wait.hpp"
#include "proxy/net.hpp"

#if MTLS_EDGE_READ_WAIT
#include <boost/asio/detail/socket_ops.hpp>
#endif

namespace mtls::proxy {

inline void adopt_non_blocking(tcp::socket& socket) {
#if MTLS_EDGE_READ_WAIT
  namespace ops = boost::asio::detail::socket_ops;
  auto& impl = edge_wait_detail::SocketAccess::implementation(socket);
  if (impl.state_ & ops::internal_non_blocking) {
    impl.state_ |= ops::user_set_non_blocking;
    return;
  }
#endif
  if (socket.non_blocking()) return;
  error_code ignored;
  socket.non_blocking(true, ignored);
}

inline void mark_sole_owner(tcp::socket& socket) {
#if MTLS_EDGE_READ_WAIT
  namespace ops = boost::asio::detail::socket_ops;
  edge_wait_detail::SocketAccess::implementation(socket).state_ &=
      static_cast<ops::state_type>(~ops::possible_dup);
#else
  (void)socket;
#endif
}

}  // namespace mtls::proxy
