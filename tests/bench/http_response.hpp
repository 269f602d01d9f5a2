#pragma once
// Incremental HTTP/1.x response framing for mtls-load: finds where each response ends in the byte
// stream (Content-Length, or the end of the connection when there is none) and counts the body
// without keeping it. Headers are collected only until the blank line (bounded to 64 KiB).
// Chunked bodies are refused: the benchmark backends (nginx static files) never send them.

#include <cstdint>
#include <string>

namespace mtls::bench {

class HttpResponse {
 public:
  enum class Parse { more, done, bad };

  void reset();
  Parse feed(const char* data, std::size_t n);

  int status() const { return status_; }
  bool until_eof() const { return until_eof_; }        // body ends with the connection
  bool server_close() const { return server_close_; }  // the server will close after it
  std::uint64_t body_bytes() const { return body_seen_; }

 private:
  Parse parse_head();
  Parse consume_body(std::size_t n);

  std::string head_;
  bool in_body_ = false, until_eof_ = false, server_close_ = false;
  int status_ = 0;
  long long body_left_ = 0;
  std::uint64_t body_seen_ = 0;
};

}  // namespace mtls::bench
