#pragma once
// The admin HTTP server (Boost.Beast, HTTP/1.1, plain text, loopback by default):
//   GET /metrics  Prometheus text exposition
//   GET /healthz  200 "ok" while the process runs
//   GET /ready    200 "ready" or 503 with the reason (identity not loaded, draining, ...)
//   GET /certs    JSON description of the identity and trust anchors
//   GET /status   JSON of the status page (metrics/README.md); GET / serves the page itself
//                 (HTML, then /status.js and /status.css), all under a `default-src 'self'` CSP
// Runs on the control thread's io_context, never on a data-path worker, so it answers while the
// data path is saturated. Beast stays out of this header (pimpl): it is costly to compile.
// Bounded, since anyone who can reach the port can talk to it: GET and HEAD only and no request
// body is ever read (a method with one gets 405, a GET with one 413, then the connection closes),
// headers up to 8 KiB, at most AdminLimits::max_connections at once (more are closed at accept),
// and a request must arrive within idle_timeout, also between kept-alive requests.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace mtls::metrics {

struct AdminHandlers {
  std::function<std::string()> metrics;         // Prometheus text
  std::function<bool(std::string& why)> ready;  // false + why: 503
  std::function<std::string()> certs;           // JSON
  std::function<std::string()> status;          // JSON; unset: no /status and no page
};

struct AdminLimits {
  std::chrono::milliseconds idle_timeout{5000};  // config admin.idle_timeout
  std::size_t max_connections = 32;              // config admin.max_connections
};

class AdminServer {
 public:
  // Binds at once (throws std::system_error naming the address on failure); serves after start().
  AdminServer(boost::asio::io_context& io, const std::string& host, unsigned short port,
              AdminHandlers handlers, AdminLimits limits = {});
  ~AdminServer();
  void start();
  void stop();  // closes the acceptor; in-flight requests finish
  unsigned short port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace mtls::metrics
