#include "certs/aws/beast_http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace mtls::certs::aws {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using BeastRequest = http::request<http::string_body>;
using BeastResponse = http::response<http::string_body>;

constexpr std::uint64_t kBodyLimit = 1 << 20;  // AWS replies we read are a few KiB

BeastRequest to_beast(const HttpRequest& r) {
  BeastRequest req;
  req.method_string(r.method);
  req.target(r.query.empty() ? r.path : r.path + "?" + r.query);
  req.version(11);
  for (const auto& [name, value] : r.headers) req.insert(name, value);
  req.body() = r.body;
  req.prepare_payload();
  return req;
}

HttpResponse from_beast(BeastResponse&& r) {
  HttpResponse out;
  out.status = r.result_int();
  for (const auto& field : r) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(r.body());
  return out;
}

template <class Stream>
net::awaitable<BeastResponse> exchange(Stream& stream, BeastRequest& request) {
  co_await http::async_write(stream, request, net::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  co_await http::async_read(stream, buffer, parser, net::use_awaitable);
  co_return parser.release();
}

// Certificate checks for `host`: its DNS name, or its IP address when it is a literal.
void expect_peer(SSL* ssl, const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (ec) {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  }
}

net::awaitable<BeastResponse> run(Url server, BeastRequest request,
                                  std::chrono::milliseconds timeout, net::ssl::context* tls) {
  auto executor = co_await net::this_coro::executor;
  net::ip::tcp::resolver resolver(executor);
  const auto endpoints =
      co_await resolver.async_resolve(server.host, std::to_string(server.port), net::use_awaitable);
  if (server.scheme == "https") {
    beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
    beast::get_lowest_layer(stream).expires_after(timeout);
    expect_peer(stream.native_handle(), server.host);
    co_await beast::get_lowest_layer(stream).async_connect(endpoints, net::use_awaitable);
    co_await stream.async_handshake(net::ssl::stream_base::client, net::use_awaitable);
    co_return co_await exchange(stream, request);
  }
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  co_await stream.async_connect(endpoints, net::use_awaitable);
  co_return co_await exchange(stream, request);
}

}  // namespace

BeastHttpClient::BeastHttpClient(const std::string& ca_file)
    : tls_(std::make_unique<net::ssl::context>(net::ssl::context::tls_client)) {
  SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
  tls_->set_verify_mode(net::ssl::verify_peer);
  if (ca_file.empty()) {
    tls_->set_default_verify_paths();
  } else {
    tls_->load_verify_file(ca_file);  // throws naming the OpenSSL error: a startup mistake
  }
}

HttpResponse BeastHttpClient::send(const Url& server, const HttpRequest& request,
                                   std::chrono::milliseconds timeout) {
  std::optional<BeastResponse> response;
  std::exception_ptr failure;
  {
    // Declared after the results: on a timeout its destruction drops the pending coroutine first.
    net::io_context io;
    net::co_spawn(io, run(server, to_beast(request), timeout, tls_.get()),
                  [&](std::exception_ptr e, BeastResponse r) {
                    if (e) {
                      failure = e;
                    } else {
                      response = std::move(r);
                    }
                  });
    // The stream deadline covers connect and I/O; this one also bounds name resolution.
    io.run_for(timeout + std::chrono::milliseconds(100));
  }
  const std::string where = server.scheme + "://" + server.host_header();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const boost::system::system_error& e) {
      const bool timed_out = e.code() == beast::error::timeout;
      throw HttpError(where + ": " +
                      (timed_out ? "timed out after " + std::to_string(timeout.count()) + " ms"
                                 : e.code().message()));
    } catch (const std::exception& e) {
      throw HttpError(where + ": " + e.what());
    }
  }
  if (!response)
    throw HttpError(where + ": timed out after " + std::to_string(timeout.count()) + " ms");
  return from_beast(std::move(*response));
}

}  // namespace mtls::certs::aws
