#include "metrics/admin_server.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "metrics/log.hpp"
#include "metrics/status_page.hpp"

namespace mtls::metrics {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// Counts the live admin connections; a session holds one for its lifetime.
class Slot {
 public:
  explicit Slot(std::shared_ptr<std::size_t> live) : live_(std::move(live)) { ++*live_; }
  ~Slot() { --*live_; }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::shared_ptr<std::size_t> live_;
};

// One admin connection: read a request's header, answer, repeat while keep-alive. Bodies are
// never read: no endpoint takes one, and reading them is what let slow uploads pin memory.
class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  static constexpr std::uint32_t kHeaderLimit = 8 * 1024;
  static constexpr std::chrono::milliseconds kLinger{1000};
  static constexpr std::size_t kLingerBytes = 64 * 1024;

  AdminSession(tcp::socket socket, std::shared_ptr<const AdminHandlers> handlers,
               std::chrono::milliseconds idle_timeout, std::shared_ptr<std::size_t> live)
      : stream_(std::move(socket)),
        handlers_(std::move(handlers)),
        idle_timeout_(idle_timeout),
        slot_(std::move(live)) {}

  void start() { do_read(); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // No body is ever read (empty_body); the limit must not fail the header of a request that
    // announces one, which is answered 405 or 413 instead.
    parser_->body_limit(boost::none);
    // One deadline from here to the complete header: a slow sender or an idle kept-alive
    // connection is closed when it passes.
    stream_.expires_after(idle_timeout_);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) return close();
    auto response = std::make_shared<http::response<http::string_body>>(answer());
    stream_.expires_after(idle_timeout_);
    http::async_write(
        stream_, *response,
        [self = shared_from_this(), response](beast::error_code write_error, std::size_t) {
          if (write_error) return self->close();
          if (self->refused_) return self->linger();
          if (!response->keep_alive()) return self->close();
          self->do_read();
        });
  }

  // After refusing a request whose body is unread: closing at once would answer the unread bytes
  // with a reset, which can destroy the refusal before the client reads it. So send FIN, then
  // discard what still arrives, into one fixed buffer, for a bounded time and amount.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::min<std::chrono::milliseconds>(idle_timeout_, kLinger));
    discard();
  }

  void discard() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->discarded_ += n;
                              if (ec || self->discarded_ > kLingerBytes) return self->close();
                              self->discard();
                            });
  }

  http::response<http::string_body> answer() {
    const auto& request = parser_->get();
    http::response<http::string_body> res{http::status::ok, request.version()};
    res.keep_alive(request.keep_alive());
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    // On every answer, not only the page: whatever a browser opens here may load nothing from
    // elsewhere, and is never sniffed into another type.
    res.set("Content-Security-Policy", kStatusCsp);
    res.set("X-Content-Type-Options", "nosniff");
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD");
      res.keep_alive(false);  // its body, if any, stays unread: the connection cannot go on
      refused_ = true;
      res.body() = "only GET and HEAD\n";
    } else if (!parser_->is_done()) {  // a body follows the header (Content-Length or chunked)
      res.result(http::status::payload_too_large);
      res.keep_alive(false);
      refused_ = true;
      res.body() = "no request body accepted\n";
    } else if (path == "/metrics") {
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = handlers_->metrics();
    } else if (path == "/healthz") {
      res.body() = "ok\n";
    } else if (path == "/ready") {
      std::string why;
      const bool ready = handlers_->ready(why);
      if (!ready) res.result(http::status::service_unavailable);
      res.body() = ready ? "ready\n" : "not ready: " + why + "\n";
    } else if (path == "/certs" && handlers_->certs) {
      res.set(http::field::content_type, "application/json");
      res.body() = handlers_->certs();
    } else if (path == "/status" && handlers_->status) {
      res.set(http::field::content_type, "application/json");
      res.set(http::field::cache_control, "no-store");
      res.body() = handlers_->status();
    } else if (path == "/" && handlers_->status) {
      res.set(http::field::content_type, "text/html; charset=utf-8");
      res.body() = status_html();
    } else if (path == "/status.js" && handlers_->status) {
      res.set(http::field::content_type, "text/javascript; charset=utf-8");
      res.body() = status_js();
    } else if (path == "/status.css" && handlers_->status) {
      res.set(http::field::content_type, "text/css; charset=utf-8");
      res.body() = status_css();
    } else {
      res.result(http::status::not_found);
      res.body() = "not found; try / /status /metrics /healthz /ready /certs\n";
    }
    res.prepare_payload();
    if (request.method() == http::verb::head) res.body().clear();
    return res;
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{2 * kHeaderLimit};  // a header and the start of the next one
  std::optional<http::request_parser<http::empty_body>> parser_;  // one per request
  std::shared_ptr<const AdminHandlers> handlers_;
  std::chrono::milliseconds idle_timeout_;
  Slot slot_;
  bool refused_ = false;  // the answer refuses the request: linger, then close
  std::array<char, 4096> discard_;
  std::size_t discarded_ = 0;
};

}  // namespace

struct AdminServer::Impl : std::enable_shared_from_this<AdminServer::Impl> {
  Impl(net::io_context& io, AdminHandlers h, AdminLimits l)
      : acceptor(io), handlers(std::make_shared<const AdminHandlers>(std::move(h))), limits(l) {}

  void do_accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) {
        if (*self->live >= self->limits.max_connections) {
          // Closed unread, so a flood of connections costs a descriptor for an instant only;
          // the probes of kubelet or Prometheus get through again as soon as a slot frees.
          beast::error_code ignored;
          s.close(ignored);
        } else {
          std::make_shared<AdminSession>(std::move(s), self->handlers, self->limits.idle_timeout,
                                         self->live)
              ->start();
        }
        return self->do_accept();
      }
      // Out of descriptors the pending connection stays in the backlog: re-arming at once would
      // fail again at once, spinning a core. Back off as the data-path listeners do.
      log::warn("admin accept: " + ec.message() + "; backing off 100ms");
      self->backoff.expires_after(std::chrono::milliseconds(100));
      self->backoff.async_wait([self](beast::error_code e) {
        if (!e) self->do_accept();
      });
    });
  }

  tcp::acceptor acceptor;
  net::steady_timer backoff{acceptor.get_executor()};
  std::shared_ptr<const AdminHandlers> handlers;  // shared with live sessions
  AdminLimits limits;
  std::shared_ptr<std::size_t> live = std::make_shared<std::size_t>(0);  // sessions now open
};

AdminServer::AdminServer(net::io_context& io, const std::string& host, unsigned short port,
                         AdminHandlers handlers, AdminLimits limits)
    : impl_(std::make_shared<Impl>(io, std::move(handlers), limits)) {
  beast::error_code bad_address;
  const auto address = net::ip::make_address(host, bad_address);  // config allows IP literals only
  if (bad_address) {
    throw std::system_error(bad_address, "admin.listen " + host + ": not an IP address");
  }
  const tcp::endpoint endpoint(address, port);
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol());
  a.set_option(net::socket_base::reuse_address(true));
  beast::error_code ec;
  a.bind(endpoint, ec);
  if (ec) {
    throw std::system_error(ec, "admin.listen " + host + ":" + std::to_string(port));
  }
  a.listen(64);
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start() { impl_->do_accept(); }

void AdminServer::stop() {
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->backoff.cancel();
}

unsigned short AdminServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace mtls::metrics
