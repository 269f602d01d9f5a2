#include "tests/bench/http_response.hpp"

#include <cctype>
#include <cstdlib>
#include <string_view>

namespace mtls::bench {
namespace {

bool iequals_prefix(std::string_view line, std::string_view lower_name) {
  if (line.size() < lower_name.size()) return false;
  for (std::size_t i = 0; i < lower_name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != lower_name[i]) return false;
  return true;
}

std::string_view header_value(std::string_view line, std::size_t name_size) {
  std::string_view v = line.substr(name_size);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  return v;
}

}  // namespace

void HttpResponse::reset() {
  head_.clear();
  in_body_ = until_eof_ = server_close_ = false;
  status_ = 0;
  body_left_ = 0;
  body_seen_ = 0;
}

HttpResponse::Parse HttpResponse::feed(const char* data, std::size_t n) {
  if (in_body_) return consume_body(n);
  head_.append(data, n);
  return parse_head();
}

HttpResponse::Parse HttpResponse::parse_head() {
  const std::size_t end = head_.find("\r\n\r\n");
  if (end == std::string::npos) return head_.size() > 65536 ? Parse::bad : Parse::more;
  const std::string_view head(head_.data(), end);
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return Parse::bad;
  status_ = std::atoi(head_.c_str() + 9);  // "HTTP/1.1 200"
  server_close_ = head.substr(0, 8) == "HTTP/1.0";
  bool has_length = false;
  for (std::size_t pos = head.find("\r\n"); pos != std::string_view::npos;) {
    const std::size_t next = head.find("\r\n", pos + 2);
    const std::string_view line =
        head.substr(pos + 2, next == std::string_view::npos ? next : next - pos - 2);
    if (iequals_prefix(line, "content-length:")) {
      body_left_ = std::atoll(std::string(header_value(line, 15)).c_str());
      has_length = true;
    } else if (iequals_prefix(line, "connection:")) {
      const std::string_view v = header_value(line, 11);
      if (iequals_prefix(v, "close")) server_close_ = true;
      if (iequals_prefix(v, "keep-alive")) server_close_ = false;
    } else if (iequals_prefix(line, "transfer-encoding:")) {
      return Parse::bad;
    }
    pos = next;
  }
  in_body_ = true;
  if (!has_length) until_eof_ = server_close_ = true;
  return consume_body(head_.size() - end - 4);
}

HttpResponse::Parse HttpResponse::consume_body(std::size_t n) {
  body_seen_ += n;
  if (until_eof_) return Parse::more;
  body_left_ -= static_cast<long long>(n);
  return body_left_ <= 0 ? Parse::done : Parse::more;
}

}  // namespace mtls::bench
