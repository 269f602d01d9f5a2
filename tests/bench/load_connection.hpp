#pragma once
// One load connection of mtls-load: connect -> [mTLS handshake] -> request/response -> close
// (handshake mode) or the next request (keepalive, bulk), until the run's deadline.
// Reactor style like the sidecar's TlsStream: OpenSSL reads the socket itself (SSL_set_fd) and
// Asio only waits for readiness, so no Asio SSL is compiled and no BIO pair copies bytes.
// Owned by one LoadWorker and run only on its thread; handlers carry a generation number so a
// completion that arrives after close() (operation_aborted, or a reused socket) is ignored.

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "tests/bench/http_response.hpp"
#include "tests/bench/load_stats.hpp"

namespace mtls::bench {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

class LoadWorker;

struct SslFree {
  void operator()(SSL* p) const noexcept { SSL_free(p); }
  void operator()(SSL_SESSION* p) const noexcept { SSL_SESSION_free(p); }
};

class Connection {
 public:
  Connection(LoadWorker& worker, unsigned id);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();                               // first exchange (staggered when paced)
  void check_timeout(Clock::time_point now);  // from the worker's watchdog
  void stop();                                // run over: close, start nothing new

  // Installed with SSL_CTX_sess_set_new_cb when --resume: keeps the newest ticket.
  static int on_new_session(SSL* ssl, SSL_SESSION* session);
  // The SSL ex_data slot that points back at the connection (for on_new_session).
  static int ex_index();

 private:
  enum class Io { ok, want_read, want_write, eof, error };

  void next_exchange();
  void start_exchange();
  void do_connect();
  void on_connect(const error_code& ec);
  void do_handshake();
  void begin_request();
  void do_write();
  void do_read();
  void on_response();
  void fail(const std::string& kind);
  void close(bool graceful);
  void wait(Io want, void (Connection::*next)());

  Io io_read(char* data, std::size_t size, std::size_t& n);
  Io io_write(const char* data, std::size_t size, std::size_t& n);
  Io ssl_status(int ret);

  LoadWorker& w_;
  unsigned id_;
  tcp::socket socket_;
  net::steady_timer pace_;
  std::unique_ptr<SSL, SslFree> ssl_;
  std::unique_ptr<SSL_SESSION, SslFree> session_;  // newest ticket from this connection's server
  std::uint64_t gen_ = 0;
  bool busy_ = false;
  std::string last_error_;

  Clock::duration interval_{0};  // pacing: conns / rate
  Clock::time_point next_start_, op_started_, t_connect_, t_connected_, t_request_;
  std::size_t written_ = 0;
  HttpResponse response_;
};

}  // namespace mtls::bench
