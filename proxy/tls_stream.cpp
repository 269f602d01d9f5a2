#include "proxy/tls_stream.hpp"

#include <openssl/err.h>

#include <cerrno>

namespace mtls::proxy {
namespace {

// SSL_get_error() blames the first error on this thread's queue, so the queue must be empty
// before an SSL_* call: other code on this worker (certificate checks) may have left errors.
// Empty is the usual case (result() drains it on every failure), and ERR_clear_error() wipes
// all 16 slots each time (~200 instructions, ~8 % of our user-space work per keep-alive
// request); looking first costs a quarter of that.
void clear_stale_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

TlsStream::TlsStream(tcp::socket socket, certs::SslPtr ssl)
    : socket_(std::move(socket)), ssl_(std::move(ssl)) {
  if (socket_.is_open()) attach_socket();
}

void TlsStream::attach_socket() {
  if (!socket_.non_blocking()) {  // after a connect it is already (adopt_non_blocking)
    error_code ignored;
    socket_.non_blocking(true, ignored);
  }
  SSL_set_fd(ssl_.get(), socket_.native_handle());
  // SSL_set_fd made one socket BIO for reads and writes; watch its reads.
  BIO* bio = SSL_get_rbio(ssl_.get());
  BIO_set_callback_arg(bio, reinterpret_cast<char*>(this));
  BIO_set_callback_ex(bio, &TlsStream::on_bio);
}

long TlsStream::on_bio(BIO* bio, int oper, const char*, std::size_t len, int, long, int ret,
                       std::size_t* processed) {
  if (oper == (BIO_CB_READ | BIO_CB_RETURN)) {
    auto* self = reinterpret_cast<TlsStream*>(BIO_get_callback_arg(bio));
    self->socket_drained_ = !(ret > 0 && processed && *processed == len);
  }
  return ret;  // before the call: 1 lets it go ahead; after it: its own result, unchanged
}

// Turns an SSL_* return value into an IoResult. The error queue is cleared before every call
// (below) and drained here, so nothing is left to be blamed on another connection of this worker.
IoResult TlsStream::result(int ret, std::size_t bytes) {
  if (ret > 0) return {IoStatus::ok, bytes};
  const int err = SSL_get_error(ssl_.get(), ret);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return {IoStatus::want_read, 0};
    case SSL_ERROR_WANT_WRITE:
      return {IoStatus::want_write, 0};
    case SSL_ERROR_ZERO_RETURN:
      return {IoStatus::eof, 0};  // close_notify
    case SSL_ERROR_SYSCALL: {
      const int e = errno;
      ERR_clear_error();
      transport_closed_ = true;
      if (e == 0) {  // FIN without close_notify
        if (established_) truncated_ = true;
        return truncated_end();
      }
      error_ = error_code(e, boost::system::system_category());
      return {IoStatus::error, 0};
    }
    default: {
      openssl_error_ = ERR_peek_last_error();
      ERR_clear_error();
      // OpenSSL 3 reports a FIN without close_notify as an SSL error. The relay passes it on as
      // a FIN (many clients skip close_notify), but the session reports it as `truncated`: the
      // peer's data may have been cut by whoever sent the FIN. During a handshake the caller
      // sees error.
      if (ERR_GET_LIB(openssl_error_) == ERR_LIB_SSL &&
          ERR_GET_REASON(openssl_error_) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        transport_closed_ = true;
        // (SSL_is_init_finished() cannot tell: OpenSSL's fatal-error path has already reset it.)
        if (established_) {
          truncated_ = true;
          return truncated_end();
        }
      }
      error_ = net::error::make_error_code(net::error::connection_aborted);
      return {IoStatus::error, 0};
    }
  }
}

IoResult TlsStream::truncated_end() {
  if (!truncated_ || !fail_on_truncation_) return {IoStatus::eof, 0};
  error_ = net::error::make_error_code(net::error::connection_aborted);
  return {IoStatus::error, 0};
}

IoResult TlsStream::handshake() {
  if (closed_) return {IoStatus::error, 0};
  clear_stale_errors();
  const IoResult r = result(SSL_do_handshake(ssl_.get()), 0);
  established_ = r.status == IoStatus::ok;
  return r;
}

IoResult TlsStream::read_some(net::mutable_buffer b) {
  if (closed_) return {IoStatus::error, 0};
  clear_stale_errors();
  std::size_t n = 0;
  const int ret = SSL_read_ex(ssl_.get(), b.data(), b.size(), &n);
  return result(ret, n);
}

IoResult TlsStream::write_some(net::const_buffer b) {
  if (closed_) return {IoStatus::error, 0};
  clear_stale_errors();
  std::size_t n = 0;
  const int ret = SSL_write_ex(ssl_.get(), b.data(), b.size(), &n);
  return result(ret, n);
}

// close_notify, then FIN. SSL_shutdown returns 0 once our close_notify is out (the peer's is
// still to come: this is a half-close, SSL_read keeps working) and 1 if theirs already arrived.
IoResult TlsStream::shutdown_send() {
  if (closed_) return {IoStatus::error, 0};
  clear_stale_errors();
  const int ret = SSL_shutdown(ssl_.get());
  if (ret < 0) {
    const IoResult r = result(ret, 0);
    if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) return r;
  }
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  return {IoStatus::ok, 0};
}

// A close we decide (idle timeout, drain, max_connection_age, a peer refused after a trust
// change) says so in TLS: one non-blocking close_notify, best effort, so
// the peer sees an orderly end rather than a truncation. Not after a failure or the transport's
// end: there is nobody to tell, and OpenSSL refuses to shut down after a fatal error anyway.
void TlsStream::close() {
  if (closed_) return;
  closed_ = true;
  if (established_ && !transport_closed_ && !error_ && openssl_error_ == 0) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  error_code ignored;
  socket_.close(ignored);
}

void TlsStream::abort() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  if (socket_.is_open()) socket_.set_option(net::socket_base::linger(true, 0), ignored);
  socket_.close(ignored);
}

}  // namespace mtls::proxy
