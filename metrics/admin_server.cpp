#include "metrics/admin_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "metrics/log.hpp"

namespace mtls::metrics {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// One admin connection: read a request, answer, repeat while keep-alive. Small bodies only.
class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(tcp::socket socket, std::shared_ptr<const AdminHandlers> handlers)
      : stream_(std::move(socket)), handlers_(std::move(handlers)) {}

  void start() { do_read(); }

 private:
  void do_read() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec) return close();
    auto response = std::make_shared<http::response<http::string_body>>(answer());
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code write_error, std::size_t) {
                        if (write_error || !response->keep_alive()) return self->close();
                        self->do_read();
                      });
  }

  http::response<http::string_body> answer() {
    http::response<http::string_body> res{http::status::ok, request_.version()};
    res.keep_alive(request_.keep_alive());
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    const std::string_view target(request_.target().data(), request_.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.body() = "only GET\n";
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
    } else {
      res.result(http::status::not_found);
      res.body() = "not found; try /metrics /healthz /ready /certs\n";
    }
    res.prepare_payload();
    if (request_.method() == http::verb::head) res.body().clear();
    return res;
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::shared_ptr<const AdminHandlers> handlers_;
};

}  // namespace

struct AdminServer::Impl : std::enable_shared_from_this<AdminServer::Impl> {
  Impl(net::io_context& io, AdminHandlers h)
      : acceptor(io), handlers(std::make_shared<const AdminHandlers>(std::move(h))) {}

  void do_accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) {
        std::make_shared<AdminSession>(std::move(s), self->handlers)->start();
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
};

AdminServer::AdminServer(net::io_context& io, const std::string& host, unsigned short port,
                         AdminHandlers handlers)
    : impl_(std::make_shared<Impl>(io, std::move(handlers))) {
  const tcp::endpoint endpoint(net::ip::make_address(host), port);
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
