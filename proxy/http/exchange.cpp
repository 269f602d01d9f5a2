#include "proxy/http/exchange.hpp"

namespace mtls::proxy::http {
namespace {

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

}  // namespace

std::string error_response(unsigned status, bool close) {
  const std::string body = std::string(reason_phrase(status)) + "\n";
  std::string out =
      "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) +
      "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n" + body;
  return out;
}

}  // namespace mtls::proxy::http
