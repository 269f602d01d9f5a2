#pragma once
// A loopback HTTP(S) server for the AWS client tests: answers each request with `handler` and keeps
// what it received, so a test can check the exact wire requests (methods, paths, token headers,
// form bodies). One request per connection, served on its own thread; 127.0.0.1 only.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "certs/aws/http_client.hpp"

namespace mtls::test {

class FakeHttpServer {
 public:
  using Handler = std::function<certs::aws::HttpResponse(const certs::aws::HttpRequest&)>;

  // Plain HTTP, or HTTPS with this certificate chain and key (PEM files).
  explicit FakeHttpServer(Handler handler, const std::string& cert_file = "",
                          const std::string& key_file = "");
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" (or https://localhost:PORT, the name its test certificate carries).
  std::string url() const;
  std::vector<certs::aws::HttpRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
  std::thread thread_;
};

// A JSON or XML reply with a status.
certs::aws::HttpResponse reply(unsigned status, std::string body);

}  // namespace mtls::test
