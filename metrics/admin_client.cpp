#include "metrics/admin_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace mtls::metrics {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

AdminUrl parse_admin_url(const std::string& text) {
  std::string rest = text;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  AdminUrl url;
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size() ||
      rest.find('/') != std::string::npos)
    throw std::invalid_argument("--admin " + text + ": expected http://HOST:PORT");
  url.host = rest.substr(0, colon);
  url.port = rest.substr(colon + 1);
  if (url.host.front() == '[' && url.host.back() == ']')
    url.host = url.host.substr(1, url.host.size() - 2);
  if (url.port.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("--admin " + text + ": the port is not a number");
  return url;
}

// Asynchronous operations under one deadline: a silent server is a timeout, not a hang.
std::string admin_get(const AdminUrl& url, const std::string& path,
                      std::chrono::milliseconds timeout) {
  const std::string where = "http://" + url.host + ":" + url.port + path;
  net::io_context io;
  beast::tcp_stream stream(io);
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  http::request<http::empty_body> req{http::verb::get, path, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::connection, "close");
  beast::error_code failure;
  net::ip::tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(url.host, url.port, failure);
  if (failure) throw std::runtime_error(where + ": " + failure.message());
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](beast::error_code connected, const auto&) {
    if (connected) return void(failure = connected);
    http::async_write(stream, req, [&](beast::error_code written, std::size_t) {
      if (written) return void(failure = written);
      http::async_read(stream, buffer, res,
                       [&](beast::error_code read, std::size_t) { failure = read; });
    });
  });
  io.run();
  if (failure) throw std::runtime_error(where + ": " + failure.message());
  if (res.result() != http::status::ok)
    throw std::runtime_error(where + ": HTTP " + std::to_string(res.result_int()));
  return std::move(res.body());
}

}  // namespace mtls::metrics
