#pragma once
// ByteStream over a plain TCP socket (the application side of the sidecar).

#include <utility>

#include "proxy/byte_stream.hpp"
#include "proxy/edge_wait.hpp"

namespace mtls::proxy {

class PlainStream {
 public:
  explicit PlainStream(tcp::socket socket) : socket_(std::move(socket)) {
    error_code ignored;
    socket_.non_blocking(true, ignored);
  }

  tcp::socket& socket() { return socket_; }

  IoResult read_some(net::mutable_buffer b) {
    error_code ec;
    const std::size_t n = socket_.read_some(b, ec);
    return result(ec, n);
  }
  IoResult write_some(net::const_buffer b) {
    error_code ec;
    const std::size_t n = socket_.write_some(b, ec);
    return result(ec, n, IoStatus::want_write);
  }
  IoResult shutdown_send() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    return {ec ? IoStatus::error : IoStatus::ok, 0};
  }

  template <class Handler>
  void async_wait(IoStatus want, Handler&& handler) {
    socket_.async_wait(
        want == IoStatus::want_write ? tcp::socket::wait_write : tcp::socket::wait_read,
        std::forward<Handler>(handler));
  }
  // A short read or EAGAIN from recv() leaves the socket drained: no re-arm needed.
  template <class Handler>
  void async_wait_new_input(Handler&& handler) {
    edge_wait_.async_wait(socket_, std::forward<Handler>(handler));
  }
  bool has_buffered_input() const { return false; }  // the kernel's buffer: epoll sees it
  void close() {
    error_code ignored;
    socket_.close(ignored);
  }
  // Ends the connection with a reset (SO_LINGER 0): how an app learns that what it got was cut
  // short, where a FIN would read as a complete answer.
  void abort() {
    error_code ignored;
    if (socket_.is_open()) socket_.set_option(net::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }
  const error_code& error() const { return error_; }

 private:
  IoResult result(const error_code& ec, std::size_t n, IoStatus would_block = IoStatus::want_read) {
    if (!ec) return {IoStatus::ok, n};
    if (ec == net::error::would_block || ec == net::error::try_again) return {would_block, 0};
    if (ec == net::error::eof) return {IoStatus::eof, 0};
    error_ = ec;
    return {IoStatus::error, 0};
  }

  tcp::socket socket_;
  EdgeReadWait edge_wait_;
  error_code error_;
};

static_assert(ByteStream<PlainStream>);

}  // namespace mtls::proxy
