// Fuzz target: HTTP mode's request reading on untrusted bytes: find_head_end, check_head (the
// strict RFC 9112 checks), Beast's parse_request, and the chunked decoder over the rest.
// Contract checked, beyond "no crash, no UB":
//  - a head the checks pass and Beast parses, serialised as the proxy forwards it, passes the
//    checks again and parses to the same method, target, framing and length (the proxy never
//    emits what it would refuse, and never changes where a body ends);
//  - the chunked decoder never consumes more than it was given, yields only bytes of its input,
//    and gives the same data however the input is split (whole, or byte by byte).

#include <cstdint>
#include <string>

#include "proxy/http/chunked_decoder.hpp"
#include "proxy/http/head.hpp"
#include "proxy/http/strict_head.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace mtls::proxy::http;

// Decodes `body` fed in pieces of `step` bytes; returns the data, or "" with error set.
std::string decode(std::string_view body, std::size_t step, bool& error, bool& done) {
  ChunkedDecoder d;
  std::string out, pending;
  error = done = false;
  for (std::size_t i = 0; i < body.size() && !error && !done;) {
    const std::size_t n = std::min(step, body.size() - i);
    pending.append(body.substr(i, n));
    i += n;
    for (;;) {
      const ChunkedDecoder::Step s = d.next(pending);
      FUZZ_CHECK(s.consumed <= pending.size(), "consumed past the input");
      FUZZ_CHECK(
          s.data.empty() || (s.data.data() >= pending.data() &&
                             s.data.data() + s.data.size() <= pending.data() + pending.size()),
          "data outside the input");
      out.append(s.data);
      pending.erase(0, s.consumed);
      if (s.error) error = true;
      if (s.done) done = true;
      if (s.error || s.done || s.consumed == 0) break;
    }
  }
  return out;
}

void fuzz_head(std::string_view text) {
  const std::size_t end = find_head_end(text);
  if (end == std::string_view::npos) return;
  FUZZ_CHECK(end <= text.size(), "head end past the input");
  const std::string_view head_text = text.substr(0, end);
  if (check_head(head_text)) return;
  Head head;
  if (parse_request(head_text, 64 * 1024, head)) return;
  head.keep_alive = true;
  const std::string again = serialize_request(head);
  FUZZ_CHECK(find_head_end(again) == again.size(), "serialised head is not one head");
  const auto strict = check_head(again);
  FUZZ_CHECK(
      !strict,
      std::string(mtls::metrics::name(strict.value_or(mtls::metrics::HttpError::bad_request))) +
          ": " + again);
  Head reparsed;
  FUZZ_CHECK(!parse_request(again, 64 * 1024, reparsed), again);
  FUZZ_CHECK(reparsed.method == head.method && reparsed.target == head.target, again);
  FUZZ_CHECK(reparsed.framing == head.framing && reparsed.length == head.length, again);
  if (head.framing != Framing::chunked) return;
  bool error1, done1, error2, done2;
  const std::string whole = decode(text.substr(end), text.size(), error1, done1);
  const std::string bytewise = decode(text.substr(end), 1, error2, done2);
  FUZZ_CHECK(error1 == error2 && done1 == done2, "split changes the verdict");
  if (!error1) FUZZ_CHECK(whole == bytewise, "split changes the data");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz_head(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
