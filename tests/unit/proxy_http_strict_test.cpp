// The strict checks of HTTP mode on raw heads and chunked bodies, case by case, each beside what
// Beast 1.81's own parser does with the same bytes: `beast_alone` records whether
// request_parser<string_body> accepts the whole message without an error. Where it does, the
// strict check is what stands between the bytes and the app.

#include <gtest/gtest.h>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string>

#include "proxy/http/chunked_decoder.hpp"
#include "proxy/http/head.hpp"
#include "proxy/http/strict_head.hpp"

namespace mtls::proxy::http {
namespace {

using metrics::HttpError;
namespace bhttp = boost::beast::http;

// Beast alone: every byte parsed as one message without an error.
bool beast_accepts(const std::string& message) {
  bhttp::request_parser<bhttp::string_body> p;
  p.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < message.size() && !ec && !p.is_done()) {
    const std::size_t n =
        p.put(boost::asio::buffer(message.data() + used, message.size() - used), ec);
    if (ec == bhttp::error::need_more) ec = {};
    if (n == 0) break;
    used += n;
  }
  return !ec && p.is_done();
}

// Ours: the head check, then the chunked decoder over the body when the head says chunked.
std::optional<HttpError> strict(const std::string& message) {
  const std::size_t end = find_head_end(message);
  if (end == std::string::npos) return HttpError::bad_request;
  if (auto e = check_head(std::string_view(message).substr(0, end))) return e;
  Head head;
  if (auto e = parse_request(std::string_view(message).substr(0, end), 16384, head)) return e;
  if (head.framing != Framing::chunked) return std::nullopt;
  ChunkedDecoder decoder;
  std::string_view body = std::string_view(message).substr(end);
  for (;;) {
    const ChunkedDecoder::Step step = decoder.next(body);
    if (step.error) return HttpError::bad_chunk;
    if (step.done) return std::nullopt;
    if (step.consumed == 0) return HttpError::bad_chunk;  // incomplete
    body.remove_prefix(step.consumed);
  }
}

struct Case {
  const char* name;
  std::string message;
  HttpError reason;
  bool beast_alone;  // what Beast 1.81 does without our checks (measured by this test)
};

const std::string kPost = "POST / HTTP/1.1\r\nHost: x\r\n";

std::vector<Case> cases() {
  return {
      {"content_length_and_chunked",
       kPost + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       HttpError::content_length_and_chunked, false},
      {"duplicate_identical_content_length",
       kPost + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", HttpError::bad_content_length,
       true},
      {"comma_joined_content_length", kPost + "Content-Length: 5, 5\r\n\r\nhello",
       HttpError::bad_content_length, true},
      {"signed_content_length", kPost + "Content-Length: +5\r\n\r\nhello",
       HttpError::bad_content_length, false},
      {"transfer_encoding_list", kPost + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       HttpError::bad_transfer_encoding, true},
      {"two_transfer_encodings",
       kPost + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       HttpError::bad_transfer_encoding, true},
      {"transfer_encoding_identity", kPost + "Transfer-Encoding: identity\r\n\r\n",
       HttpError::bad_transfer_encoding, true},
      {"obs_fold", kPost + "X-A: b\r\n c\r\n\r\n", HttpError::obs_fold, true},
      {"space_before_colon", kPost + "X-A : b\r\n\r\n", HttpError::space_before_colon, false},
      {"bare_lf", "GET / HTTP/1.1\nHost: x\n\n", HttpError::bare_cr_lf, false},
      {"bare_cr", kPost + "X-A: b\rc\r\n\r\n", HttpError::bare_cr_lf, false},
      {"control_char_in_name", kPost + "X\x01Y: b\r\n\r\n", HttpError::bad_header_name, false},
      {"nul_in_value", kPost + std::string("X-A: b\0c\r\n\r\n", 13), HttpError::bad_request, false},
      {"invalid_chunk_size", kPost + "Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\n0\r\n\r\n",
       HttpError::bad_chunk, false},
      {"overlong_chunk_size",
       kPost + "Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n",
       HttpError::bad_chunk, true},
      {"space_in_chunk_size", kPost + "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
       HttpError::bad_chunk, false},
      {"chunk_without_crlf", kPost + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
       HttpError::bad_chunk, false},
      {"chunk_size_bare_lf", kPost + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
       HttpError::bad_chunk, false},
  };
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class HttpStrict : public ::testing::TestWithParam<Case> {};

TEST_P(HttpStrict, RefusesWithItsReason) {
  const Case& c = GetParam();
  EXPECT_EQ(strict(c.message), c.reason);
}

TEST_P(HttpStrict, BeastAloneAsRecorded) {
  const Case& c = GetParam();
  EXPECT_EQ(beast_accepts(c.message), c.beast_alone);
}

INSTANTIATE_TEST_SUITE_P(Cases, HttpStrict, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(HttpStrictValid, OrdinaryRequestsPass) {
  for (const std::string& m : {
           std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
           kPost + "Content-Length: 5\r\n\r\nhello",
           kPost + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
           kPost + "transfer-encoding: Chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
           kPost + "Transfer-Encoding: chunked\r\n\r\n5 ;ext\r\nhello\r\n0\r\n\r\n",
           std::string("GET / HTTP/1.1\r\nHost: x\r\nX-A:\tvalue with spaces \r\n\r\n"),
       }) {
    EXPECT_EQ(strict(m), std::nullopt) << m;
    EXPECT_TRUE(beast_accepts(m)) << m;
  }
}

TEST(ChunkedDecoder, DecodesAcrossArbitrarySplits) {
  const std::string body = "5\r\nhello\r\n1;a=b\r\n \r\n0\r\nT: x\r\n\r\n";
  for (std::size_t split = 0; split <= body.size(); ++split) {
    ChunkedDecoder d;
    std::string out;
    bool done = false;
    std::string pending;
    for (const std::string& piece : {body.substr(0, split), body.substr(split)}) {
      pending += piece;
      for (;;) {
        const ChunkedDecoder::Step s = d.next(pending);
        ASSERT_FALSE(s.error) << split;
        out += s.data;
        pending.erase(0, s.consumed);
        if (s.done) done = true;
        if (s.done || s.consumed == 0) break;
      }
    }
    EXPECT_TRUE(done) << split;
    EXPECT_EQ(out, "hello ") << split;
  }
}

TEST(HeadSerialization, DropsHopByHopAndWritesOurFraming) {
  Head h;
  const std::string text =
      "POST /p?q HTTP/1.1\r\nHost: x\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\n"
      "TE: trailers\r\nX-End: 2\r\nContent-Length: 3\r\n\r\n";
  ASSERT_EQ(parse_request(text, 16384, h), std::nullopt);
  EXPECT_FALSE(h.keep_alive);
  EXPECT_EQ(h.framing, Framing::length);
  h.keep_alive = true;
  EXPECT_EQ(serialize_request(h),
            "POST /p?q HTTP/1.1\r\nHost: x\r\nX-End: 2\r\nContent-Length: 3\r\n\r\n");
}

}  // namespace
}  // namespace mtls::proxy::http
