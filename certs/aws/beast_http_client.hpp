#pragma once
// HttpClient over Beast: one connection per exchange (the calls are minutes apart), HTTP/1.1,
// HTTPS verified against the system store or a CA bundle (AWS_CA_BUNDLE), with SNI and host-name
// checks. Each send() runs its own io_context on the calling thread, so it never touches the data
// path's workers; thread-safe (no shared state but the TLS context, which OpenSSL locks).

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "certs/aws/http_client.hpp"

namespace mtls::certs::aws {

class BeastHttpClient : public HttpClient {
 public:
  // `ca_file`: PEM bundle to verify HTTPS servers with; empty for the system default paths.
  explicit BeastHttpClient(const std::string& ca_file = "");
  HttpResponse send(const Url& server, const HttpRequest& request,
                    std::chrono::milliseconds timeout) override;

 private:
  std::unique_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace mtls::certs::aws
