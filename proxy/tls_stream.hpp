#pragma once
// ByteStream over TLS where OpenSSL reads and writes the socket itself (SSL_set_fd) and Asio only
// waits for readiness. Unlike asio::ssl::stream (two ~17 KiB buffers and a BIO pair per
// connection, DESIGN.md "Memory per connection"), this holds nothing of its own, and with
// SSL_MODE_RELEASE_BUFFERS OpenSSL frees its record buffers while the connection is idle.
//
// Once close() has run, no SSL call touches the file descriptor again: the number may already
// belong to another connection.

#include <openssl/bio.h>

#include <memory>

#include "certs/openssl_ptr.hpp"
#include "proxy/byte_stream.hpp"
#include "proxy/edge_wait.hpp"

namespace mtls::proxy {

class TlsStream {
 public:
  // Takes ownership of `ssl`; binds it to the socket's descriptor if the socket is open.
  TlsStream(tcp::socket socket, certs::SslPtr ssl);
  // The socket BIO's callback points at this object.
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;
  // For a socket opened later (by connect): binds the SSL to its descriptor.
  void attach_socket();

  tcp::socket& socket() { return socket_; }
  SSL* ssl() const { return ssl_.get(); }

  // One handshake step (server or client, as the SSL was set up); ok when complete.
  IoResult handshake();

  IoResult read_some(net::mutable_buffer b);
  IoResult write_some(net::const_buffer b);
  IoResult shutdown_send();

  template <class Handler>
  void async_wait(IoStatus want, Handler&& handler) {
    socket_.async_wait(
        want == IoStatus::want_write ? tcp::socket::wait_write : tcp::socket::wait_read,
        std::forward<Handler>(handler));
  }
  // OpenSSL reads the socket itself, so only the socket BIO's callback knows whether its last
  // read() drained the socket (EAGAIN, or fewer bytes than asked): then no re-arm is needed.
  // Otherwise (a read-ahead read that filled OpenSSL's buffer exactly) wait the safe way.
  template <class Handler>
  void async_wait_new_input(Handler&& handler) {
    if (socket_drained_)
      edge_wait_.async_wait(socket_, std::forward<Handler>(handler));
    else
      socket_.async_wait(tcp::socket::wait_read, std::forward<Handler>(handler));
  }
  // Records (or parts) in OpenSSL's read-ahead buffer, processed or not.
  bool has_buffered_input() const { return SSL_has_pending(ssl_.get()) == 1; }
  void close();
  // Ends the connection with a reset and no close_notify, so the peer cannot take it for a
  // complete stream (our side failed: the app was unreachable or reset us).
  void abort();
  // After the handshake, a FIN without close_notify fails the read (IoStatus::error) instead of
  // ending it: the outbound passes a cut stream on to its app as a reset, not as a clean end.
  void fail_on_truncation() { fail_on_truncation_ = true; }

  // Why the last operation failed: the OpenSSL error (0 if none) and whether the transport ended.
  unsigned long openssl_error() const { return openssl_error_; }
  bool transport_closed() const { return transport_closed_; }
  const error_code& error() const { return error_; }
  // The peer ended the connection after the handshake with a FIN but no close_notify: read_some
  // returned eof, but what it sent may have been cut short.
  bool truncated() const { return truncated_; }

 private:
  IoResult result(int ret, std::size_t bytes);
  IoResult truncated_end();  // a FIN without close_notify: eof, or error if fail_on_truncation
  static long on_bio(BIO* bio, int oper, const char* argp, std::size_t len, int argi, long argl,
                     int ret, std::size_t* processed);

  tcp::socket socket_;
  certs::SslPtr ssl_;
  EdgeReadWait edge_wait_;
  bool socket_drained_ = false;  // the last read() of the socket BIO came back short or failed
  bool closed_ = false;
  bool established_ = false;  // the handshake completed
  bool transport_closed_ = false;
  bool truncated_ = false;
  bool fail_on_truncation_ = false;
  unsigned long openssl_error_ = 0;
  error_code error_;
};

static_assert(ByteStream<TlsStream>);

}  // namespace mtls::proxy
