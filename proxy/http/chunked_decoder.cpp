#include "proxy/http/chunked_decoder.hpp"

#include <algorithm>

namespace mtls::proxy::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

ChunkedDecoder::Step ChunkedDecoder::next(std::string_view in) {
  Step step;
  std::size_t i = 0;
  const auto fail = [&] {
    step.error = true;
    step.consumed = i;
    return step;
  };
  while (i < in.size()) {
    const char c = in[i];
    switch (state_) {
      case State::size: {
        const int v = hex_value(c);
        if (v >= 0 && !ext_ws_) {
          // 16 hex digits hold any uint64; more (even leading zeros) is refused, not wrapped.
          if (++digits_ > 16) return fail();
          size_ = size_ * 16 + std::uint64_t(v);
          ++i;
          break;
        }
        if (digits_ == 0) return fail();
        if (c == ' ' || c == '\t') {  // BWS, allowed only before a chunk extension
          ext_ws_ = true;
          ++i;
          break;
        }
        if (c == ';') {
          state_ = State::ext;
          ++i;
          break;
        }
        if (c == '\r' && !ext_ws_) {
          state_ = State::size_lf;
          ++i;
          break;
        }
        return fail();
      }
      case State::ext:  // chunk extensions are ignored, but must be printable text on one line
        if (c == '\r') {
          state_ = State::size_lf;
        } else if (c == '\n' || (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
          return fail();
        }
        ++i;
        break;
      case State::size_lf:
        if (c != '\n') return fail();
        ++i;
        digits_ = 0;
        ext_ws_ = false;
        if (size_ == 0) {
          state_ = State::trailer;
          trailer_line_ = 0;
        } else {
          left_ = size_;
          state_ = State::data;
        }
        size_ = 0;
        break;
      case State::data: {
        const std::size_t n = std::size_t(std::min<std::uint64_t>(left_, in.size() - i));
        step.data = in.substr(i, n);
        left_ -= n;
        i += n;
        if (left_ == 0) state_ = State::data_cr;
        step.consumed = i;
        return step;  // one data piece per step: the caller frames and writes it
      }
      case State::data_cr:
        if (c != '\r') return fail();
        state_ = State::data_lf;
        ++i;
        break;
      case State::data_lf:
        if (c != '\n') return fail();
        state_ = State::size;
        ++i;
        break;
      case State::trailer:
        if (++trailer_bytes_ > max_trailer_bytes_) return fail();
        if (c == '\r') {
          state_ = State::trailer_lf;
        } else if (c == '\n') {
          return fail();
        } else {
          ++trailer_line_;
        }
        ++i;
        break;
      case State::trailer_lf:
        if (c != '\n') return fail();
        ++i;
        if (trailer_line_ == 0) {
          state_ = State::done;
          step.done = true;
          step.consumed = i;
          return step;
        }
        trailer_line_ = 0;
        state_ = State::trailer;
        break;
      case State::done:
        step.done = true;
        step.consumed = i;
        return step;
    }
  }
  step.consumed = i;
  return step;
}

}  // namespace mtls::proxy::http
