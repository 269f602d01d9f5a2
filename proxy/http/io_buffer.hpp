#pragma once
// A growable byte queue for the HTTP engine: bytes are appended at the back (reads, framing) and
// consumed from the front (parsing, writes). Reading into it and writing out of it go through
// the reactor-style ByteStream (non-blocking, want_read / want_write).

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include "proxy/byte_stream.hpp"

namespace mtls::proxy::http {

class IoBuffer {
 public:
  static constexpr std::size_t kReadSize = 16 * 1024;

  std::string_view view() const { return std::string_view(data_).substr(pos_); }
  std::size_t size() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  void consume(std::size_t n) {
    pos_ += n;
    if (pos_ == data_.size()) clear();
  }
  void append(std::string_view s) { data_.append(s); }
  void clear() {
    data_.clear();
    pos_ = 0;
  }
  // Gives the memory back (idle connections hold no buffers).
  void release() {
    clear();
    std::string().swap(data_);
  }

  // One read of up to kReadSize bytes from `s` appended at the back.
  template <ByteStream S>
  IoResult fill(S& s) {
    if (pos_ > 0 && pos_ >= data_.size() / 2) {  // keep the front from growing without end
      data_.erase(0, pos_);
      pos_ = 0;
    }
    const std::size_t old = data_.size();
    data_.resize(old + kReadSize);
    const IoResult r = s.read_some(net::buffer(data_.data() + old, kReadSize));
    data_.resize(old + (r.status == IoStatus::ok ? r.bytes : 0));
    return r;
  }

  // Writes until empty (ok) or the stream must wait or failed.
  template <ByteStream S>
  IoResult drain(S& s) {
    while (!empty()) {
      const IoResult r = s.write_some(net::buffer(data_.data() + pos_, data_.size() - pos_));
      if (r.status != IoStatus::ok) return r;
      consume(r.bytes);
    }
    return {IoStatus::ok, 0};
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

}  // namespace mtls::proxy::http
