#pragma once
// A strict decoder of the chunked transfer coding (RFC 9112 §7.1), incremental over input that
// arrives in pieces. Beast has one, but it is tied to its parser; this one yields views of the
// data in place (no copy) and refuses what a proxy must not guess about: a chunk size that is
// not 1..16 hex digits, anything but BWS before a chunk extension, a bare CR or LF, a chunk not
// followed by CRLF, trailers longer than the limit. Trailer fields are consumed and dropped (few
// apps use them and forwarding them would need the checks of a head again). No Beast, no I/O.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mtls::proxy::http {

class ChunkedDecoder {
 public:
  struct Step {
    std::size_t consumed = 0;  // bytes of the input used (framing and data)
    std::string_view data;     // body bytes decoded by this step (a view into the input)
    bool done = false;         // the last chunk and trailers were read
    bool error = false;        // invalid framing: refuse the message
  };

  explicit ChunkedDecoder(std::size_t max_trailer_bytes = 16 * 1024)
      : max_trailer_bytes_(max_trailer_bytes) {}

  // Decodes from the front of `in` up to the end of the next data piece (or framing that needs
  // more input). Call again with the rest; a step consuming nothing needs more input.
  Step next(std::string_view in);

 private:
  enum class State { size, ext, size_lf, data, data_cr, data_lf, trailer, trailer_lf, done };
  State state_ = State::size;
  std::uint64_t size_ = 0;
  int digits_ = 0;
  bool ext_ws_ = false;  // whitespace seen after the size digits
  std::uint64_t left_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::size_t trailer_line_ = 0;  // bytes of the current trailer line
  std::size_t max_trailer_bytes_;
};

}  // namespace mtls::proxy::http
