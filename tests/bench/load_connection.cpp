#include "tests/bench/load_connection.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tests/bench/load_worker.hpp"

namespace mtls::bench {

int Connection::ex_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int Connection::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<Connection*>(SSL_get_ex_data(ssl, ex_index()));
  if (!self) return 0;
  self->session_.reset(session);
  return 1;  // we own the reference now
}

Connection::Connection(LoadWorker& worker, unsigned id)
    : w_(worker), id_(id), socket_(worker.io()), pace_(worker.io()) {
  const double rate = w_.options().rate;
  if (rate > 0) {
    interval_ = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(double(w_.total_conns()) / rate));
  }
}

Connection::~Connection() { close(false); }

void Connection::start() {
  // Paced connections start spread over one interval, so the schedule is smooth from the start.
  next_start_ = Clock::now() + interval_ * id_ / std::max(1u, w_.total_conns());
  next_exchange();
}

void Connection::stop() {
  busy_ = false;
  close(false);
  pace_.cancel();
}

void Connection::check_timeout(Clock::time_point now) {
  if (busy_ && now - op_started_ > w_.options().timeout) fail("timeout");
}

void Connection::next_exchange() {
  if (w_.stopping()) return;
  if (interval_.count() > 0 && Clock::now() < next_start_) {
    pace_.expires_at(next_start_);
    pace_.async_wait([this, g = gen_](const error_code& ec) {
      if (!ec && g == gen_ && !w_.stopping()) start_exchange();
    });
    return;
  }
  start_exchange();
}

void Connection::start_exchange() {
  const auto now = Clock::now();
  // A late start does not bank time: fall behind and the schedule restarts from now, no burst.
  if (interval_.count() > 0) next_start_ = std::max(next_start_ + interval_, now);
  busy_ = true;
  op_started_ = now;
  if (socket_.is_open()) return begin_request();
  do_connect();
}

void Connection::do_connect() {
  t_connect_ = Clock::now();
  error_code ec;
  socket_.open(w_.target().protocol(), ec);
  if (ec) return fail("socket: " + ec.message());
  socket_.async_connect(w_.target(), [this, g = gen_](const error_code& e) {
    if (g == gen_ && !w_.stopping()) on_connect(e);
  });
}

void Connection::on_connect(const error_code& ec) {
  if (ec) return fail("connect: " + ec.message());
  ++w_.stats().connections;
  error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  socket_.non_blocking(true, ignored);
  if (w_.options().plain) return begin_request();
  ssl_.reset(SSL_new(w_.ssl_ctx()));
  SSL* ssl = ssl_.get();
  SSL_set_connect_state(ssl);
  SSL_set_fd(ssl, socket_.native_handle());
  SSL_set_ex_data(ssl, ex_index(), this);
  const std::string& sni = w_.options().sni;
  if (!sni.empty()) {
    SSL_set_tlsext_host_name(ssl, sni.c_str());
    SSL_set1_host(ssl, sni.c_str());  // the server certificate must carry the name we asked for
  }
  if (w_.options().resume && session_ && SSL_SESSION_is_resumable(session_.get()))
    SSL_set_session(ssl, session_.get());
  t_connected_ = Clock::now();
  do_handshake();
}

void Connection::do_handshake() {
  ERR_clear_error();
  const Io r = ssl_status(SSL_do_handshake(ssl_.get()));
  if (r == Io::want_read || r == Io::want_write) return wait(r, &Connection::do_handshake);
  if (r != Io::ok) return fail("handshake: " + last_error_);
  LoadStats& s = w_.stats();
  ++s.handshakes;
  if (SSL_session_reused(ssl_.get())) ++s.resumed;
  s.handshake_us.add(Clock::now() - t_connected_);
  if (w_.tls_seen().empty()) {
    w_.tls_seen() =
        std::string(SSL_get_version(ssl_.get())) + " " + SSL_get_cipher_name(ssl_.get());
  }
  begin_request();
}

void Connection::begin_request() {
  t_request_ = Clock::now();
  written_ = 0;
  response_.reset();
  do_write();
}

void Connection::do_write() {
  const std::string& req = w_.options().request;
  while (written_ < req.size()) {
    std::size_t n = 0;
    const Io r = io_write(req.data() + written_, req.size() - written_, n);
    if (r == Io::ok) {
      written_ += n;
    } else if (r == Io::want_read || r == Io::want_write) {
      return wait(r, &Connection::do_write);
    } else {
      return fail("write: " + last_error_);
    }
  }
  do_read();
}

void Connection::do_read() {
  auto& buf = w_.scratch();
  for (;;) {
    std::size_t n = 0;
    const Io r = io_read(buf.data(), buf.size(), n);
    if (r == Io::ok) {
      w_.stats().bytes_in += n;
      const HttpResponse::Parse p = response_.feed(buf.data(), n);
      if (p == HttpResponse::Parse::done) return on_response();
      if (p == HttpResponse::Parse::bad) return fail("http: malformed or chunked response");
    } else if (r == Io::want_read || r == Io::want_write) {
      return wait(r, &Connection::do_read);
    } else if (r == Io::eof && response_.until_eof()) {
      return on_response();  // a body delimited by the end of the connection
    } else {
      return fail(r == Io::eof ? "read: closed before the response ended" : "read: " + last_error_);
    }
  }
}

void Connection::on_response() {
  const auto now = Clock::now();
  LoadStats& s = w_.stats();
  if (response_.status() >= 400) {
    ++s.bad_status;
  } else {
    ++s.requests;
    s.body_bytes += response_.body_bytes();
  }
  s.request_us.add(now - t_request_);
  busy_ = false;
  if (w_.options().mode == Mode::handshake) {
    s.connection_us.add(now - t_connect_);
    close(true);
  } else if (response_.server_close()) {
    close(true);
  }
  next_exchange();
}

void Connection::fail(const std::string& kind) {
  w_.stats().error(kind);
  close(false);
  busy_ = false;
  // Back off a little so a refusing target does not turn the generator into a spin loop.
  pace_.expires_after(std::chrono::milliseconds(10));
  pace_.async_wait([this, g = gen_](const error_code& ec) {
    if (!ec && g == gen_ && !w_.stopping()) next_exchange();
  });
}

void Connection::close(bool graceful) {
  ++gen_;  // every pending completion of the old socket is now stale
  if (ssl_) {
    // close_notify, as a well-behaved client sends it; one non-blocking try, no waiting.
    if (graceful) {
      ERR_clear_error();
      SSL_shutdown(ssl_.get());
    }
    ERR_clear_error();
    ssl_.reset();
  }
  error_code ignored;
  socket_.close(ignored);
}

void Connection::wait(Io want, void (Connection::*next)()) {
  const auto type = want == Io::want_write ? tcp::socket::wait_write : tcp::socket::wait_read;
  socket_.async_wait(type, [this, g = gen_, next](const error_code& ec) {
    if (g != gen_ || w_.stopping()) return;
    if (ec) return fail("wait: " + ec.message());
    (this->*next)();
  });
}

Connection::Io Connection::ssl_status(int ret) {
  if (ret > 0) return Io::ok;
  const int err = SSL_get_error(ssl_.get(), ret);
  if (err == SSL_ERROR_WANT_READ) return Io::want_read;
  if (err == SSL_ERROR_WANT_WRITE) return Io::want_write;
  if (err == SSL_ERROR_ZERO_RETURN) return Io::eof;
  const unsigned long e = ERR_peek_last_error();
  if (err == SSL_ERROR_SYSCALL && e == 0) {
    if (errno == 0) return Io::eof;
    last_error_ = std::strerror(errno);
    return Io::error;
  }
  const char* reason = ERR_reason_error_string(e);
  last_error_ = reason ? reason : "ssl error " + std::to_string(err);
  ERR_clear_error();
  // A FIN without close_notify ends the body as well as close_notify does (OpenSSL 3 calls it
  // an error); during a handshake it stays an error.
  if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING && SSL_is_init_finished(ssl_.get()))
    return Io::eof;
  return Io::error;
}

Connection::Io Connection::io_read(char* data, std::size_t size, std::size_t& n) {
  if (ssl_) {
    ERR_clear_error();
    errno = 0;
    return ssl_status(SSL_read_ex(ssl_.get(), data, size, &n));
  }
  error_code ec;
  n = socket_.read_some(net::buffer(data, size), ec);
  if (!ec) return Io::ok;
  if (ec == net::error::would_block || ec == net::error::try_again) return Io::want_read;
  if (ec == net::error::eof) return Io::eof;
  last_error_ = ec.message();
  return Io::error;
}

Connection::Io Connection::io_write(const char* data, std::size_t size, std::size_t& n) {
  if (ssl_) {
    ERR_clear_error();
    errno = 0;
    return ssl_status(SSL_write_ex(ssl_.get(), data, size, &n));
  }
  error_code ec;
  n = socket_.write_some(net::buffer(data, size), ec);
  if (!ec) return Io::ok;
  if (ec == net::error::would_block || ec == net::error::try_again) return Io::want_write;
  last_error_ = ec.message();
  return Io::error;
}

}  // namespace mtls::bench
