#pragma once
// A blocking GET against an admin server, for `mtls-sidecar status`. Plain HTTP/1.1 only, as the
// admin server speaks; bounded by `timeout` from connect to the last byte.

#include <chrono>
#include <string>

namespace mtls::metrics {

struct AdminUrl {
  std::string host;
  std::string port;
};

// "http://127.0.0.1:9901", "127.0.0.1:9901" or "[::1]:9901"; a trailing "/" is ignored. Throws
// std::invalid_argument naming the text when it is none of these.
AdminUrl parse_admin_url(const std::string& text);

// The body of a 200 answer; throws std::runtime_error naming the URL and what went wrong.
std::string admin_get(const AdminUrl& url, const std::string& path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace mtls::metrics
