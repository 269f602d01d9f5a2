#pragma once
// The small byte-stream interface the relay is written against (DESIGN.md §3 "Relay").
//
// Reactor style: operations are non-blocking and say what they are waiting for; the caller then
// waits for socket readiness with async_wait(). Nothing is buffered by the stream itself, so an
// idle connection holds no buffers: the relay takes a buffer only once data is readable.
// Implemented by PlainStream (TCP) and TlsStream (OpenSSL reading the socket directly via
// SSL_set_fd); a stream lives on one worker thread and is never shared across threads.

#include <concepts>
#include <cstddef>
#include <functional>

#include "proxy/net.hpp"

namespace mtls::proxy {

enum class IoStatus {
  ok,          // `bytes` transferred (> 0), or the operation completed
  want_read,   // wait for readable, then retry
  want_write,  // wait for writable, then retry
  eof,         // orderly end from the peer: FIN, or TLS close_notify
  error,       // reset, protocol error, or the stream was closed; see error()
};

struct IoResult {
  IoStatus status = IoStatus::ok;
  std::size_t bytes = 0;
};

template <class S>
concept ByteStream = requires(S s, net::mutable_buffer in, net::const_buffer out,
                              std::function<void(error_code)> handler) {
  { s.read_some(in) } -> std::same_as<IoResult>;
  { s.write_some(out) } -> std::same_as<IoResult>;
  { s.shutdown_send() } -> std::same_as<IoResult>;  // FIN, or close_notify then FIN
  s.async_wait(IoStatus::want_read, handler);       // handler(error_code)
  // Wait for input after a read that drained the stream: it returned want_read, or fewer bytes
  // than asked with nothing buffered. May complete spuriously (the caller reads again). Cheaper
  // than async_wait(want_read) where the stream can tell the socket needs no re-arm.
  s.async_wait_new_input(handler);
  // Input already read from the socket but not returned yet (TLS read-ahead): a socket wait
  // would not see it, so the caller must read again before waiting.
  { s.has_buffered_input() } -> std::same_as<bool>;
  s.close();                                         // idempotent; later calls fail with error
  { s.error() } -> std::convertible_to<error_code>;  // why the last operation failed
};

}  // namespace mtls::proxy
