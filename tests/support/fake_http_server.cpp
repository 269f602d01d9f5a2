#include "tests/support/fake_http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace mtls::test {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

}  // namespace

struct FakeHttpServer::Impl {
  Handler handler;
  net::io_context io;
  net::ip::tcp::acceptor acceptor{io};
  std::unique_ptr<net::ssl::context> tls;
  mutable std::mutex mutex;
  std::vector<certs::aws::HttpRequest> received;

  template <class Stream>
  void serve(Stream& stream) {
    beast::flat_buffer buffer;
    http::request<http::string_body> in;
    http::read(stream, buffer, in);
    certs::aws::HttpRequest request;
    request.method = std::string(in.method_string());
    const std::string target(in.target());
    const std::size_t q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) request.query = target.substr(q + 1);
    for (const auto& field : in) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = in.body();
    {
      std::lock_guard lock(mutex);
      received.push_back(request);
    }
    const certs::aws::HttpResponse answer = handler(request);
    http::response<http::string_body> out{static_cast<http::status>(answer.status), 11};
    for (const auto& [name, value] : answer.headers) out.insert(name, value);
    out.body() = answer.body;
    out.keep_alive(false);
    out.prepare_payload();
    http::write(stream, out);
  }

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, net::ip::tcp::socket socket) {
      if (ec) return;  // closed: the server is stopping
      beast::error_code ignored;
      try {
        if (tls) {
          beast::ssl_stream<net::ip::tcp::socket> stream(std::move(socket), *tls);
          stream.handshake(net::ssl::stream_base::server);
          serve(stream);
          stream.shutdown(ignored);
        } else {
          serve(socket);
          socket.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
        }
      } catch (const std::exception&) {
        // A client that gave up (timeout tests) or refused our certificate: serve the next one.
      }
      accept();
    });
  }
};

FakeHttpServer::FakeHttpServer(Handler handler, const std::string& cert_file,
                               const std::string& key_file)
    : impl_(std::make_unique<Impl>()), tls_(!cert_file.empty()) {
  impl_->handler = std::move(handler);
  if (tls_) {
    impl_->tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(cert_file);
    impl_->tls->use_private_key_file(key_file, net::ssl::context::pem);
  }
  const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  thread_ = std::thread([this] { impl_->io.run(); });
}

FakeHttpServer::~FakeHttpServer() {
  net::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  thread_.join();
}

std::string FakeHttpServer::url() const {
  return (tls_ ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_);
}

std::vector<certs::aws::HttpRequest> FakeHttpServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

certs::aws::HttpResponse reply(unsigned status, std::string body) {
  return {status, {}, std::move(body)};
}

}  // namespace mtls::test
