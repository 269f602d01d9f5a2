#pragma once
// The blocking HTTP exchange the AWS pieces need (STS, container endpoint, IMDS; later ACM, KMS),
// as an interface so the credential links do not depend on how bytes move.

#include <chrono>
#include <stdexcept>
#include <string>

#include "certs/aws/endpoints.hpp"
#include "certs/aws/sigv4.hpp"

namespace mtls::certs::aws {

struct HttpResponse {
  unsigned status = 0;
  Headers headers;
  std::string body;
};

// Could not get a response at all: resolve, connect, TLS, timeout, malformed reply.
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends `request` (its path and query as the target; its headers as given, Host included) to
  // `server`'s scheme, host and port, and waits at most `timeout` for the whole exchange. Any
  // status is a response; throws HttpError when there is none.
  virtual HttpResponse send(const Url& server, const HttpRequest& request,
                            std::chrono::milliseconds timeout) = 0;
};

}  // namespace mtls::certs::aws
