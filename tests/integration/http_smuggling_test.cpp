// HTTP mode: malformed and ambiguous requests (RFC 9112 §2.2, §5.1-5.2, §6.1, §6.3, §7.1) are
// answered 400 and the connection closed; the smuggled part never reaches the app, which
// records every byte it receives. Each refusal is counted with its reason.

#include <gtest/gtest.h>

#include "tests/support/http_pair.hpp"

namespace mtls::test {
namespace {

struct Case {
  const char* name;
  std::string request;  // holds the marker "SMUGGLED" in what must not reach the app
  const char* reason;   // mtls_http_errors_total{reason}
};

const std::string kSmuggled = "GET /SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n";

std::vector<Case> cases() {
  return {
      {"content_length_and_chunked",
       "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n" +
           kSmuggled,
       "content_length_and_chunked"},
      {"duplicate_identical_content_length",
       "POST /SMUGGLED HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
       "bad_content_length"},
      {"comma_joined_content_length",
       "POST /SMUGGLED HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello",
       "bad_content_length"},
      {"signed_content_length",
       "POST /SMUGGLED HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello",
       "bad_content_length"},
      {"transfer_encoding_list",
       "POST /SMUGGLED HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       "bad_transfer_encoding"},
      {"two_transfer_encodings",
       "POST /SMUGGLED HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: identity\r\n\r\n0\r\n\r\n",
       "bad_transfer_encoding"},
      {"transfer_encoding_identity",
       "POST /SMUGGLED HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n",
       "bad_transfer_encoding"},
      {"obs_fold",
       "GET /SMUGGLED HTTP/1.1\r\nHost: x\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n\r\n",
       "obs_fold"},
      {"space_before_colon",
       "POST /SMUGGLED HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
       "space_before_colon"},
      {"bare_lf", "GET /SMUGGLED HTTP/1.1\nHost: x\n\n", "bare_cr_lf"},
      {"bare_cr", "GET /SMUGGLED HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n", "bare_cr_lf"},
      {"control_char_in_name", "GET /SMUGGLED HTTP/1.1\r\nHost: x\r\nX\x01Y: b\r\n\r\n",
       "bad_header_name"},
      {"invalid_chunk_size",
       "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + kSmuggled,
       "bad_chunk"},
      {"overlong_chunk_size",
       "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       "10000000000000005\r\nhello\r\n0\r\n\r\n" +
           kSmuggled,
       "bad_chunk"},
      {"chunk_without_crlf",
       "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n" +
           kSmuggled,
       "bad_chunk"},
  };
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class HttpSmuggling : public ::testing::TestWithParam<Case> {};

TEST_P(HttpSmuggling, RefusedWith400AndNeverReachesTheApp) {
  const Case& c = GetParam();
  HttpPair pair;
  const proxy::ProbeResult r = pair.to_inbound(c.request);
  ASSERT_TRUE(r.handshake_ok) << r.error;
  EXPECT_EQ(r.reply.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << r.reply;
  EXPECT_NE(r.reply.find("Connection: close\r\n"), std::string::npos) << r.reply;
  EXPECT_TRUE(r.eof) << "the connection is closed after a 400";
  EXPECT_EQ(pair.backend.received().find("SMUGGLED"), std::string::npos) << pair.backend.received();
  EXPECT_EQ(pair.wait_inbound_metric("mtls_http_errors_total", {{"reason", c.reason}}, 1), 1);
  EXPECT_EQ(pair.wait_inbound_metric("mtls_http_requests_total", {{"code_class", "4xx"}}, 1), 1);
}

INSTANTIATE_TEST_SUITE_P(Cases, HttpSmuggling, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(HttpLimits, HeaderOverTheLimitIs431) {
  HttpPair pair([](config::Config& c) { c.http.max_header_bytes = 2048; });
  const proxy::ProbeResult r = pair.to_inbound(
      "GET /SMUGGLED HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_EQ(r.reply.rfind("HTTP/1.1 431 ", 0), 0u) << r.reply;
  EXPECT_EQ(pair.backend.received(), "");
  EXPECT_EQ(pair.wait_inbound_metric("mtls_http_errors_total", {{"reason", "header_too_large"}}, 1),
            1);
}

TEST(HttpLimits, BodyOverTheLimitIs413) {
  HttpPair pair([](config::Config& c) { c.http.max_body_bytes = 1000; });
  // Content-Length: refused before anything is sent on.
  proxy::ProbeResult r = pair.to_inbound(
      "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n" + std::string(1001, 'b'));
  EXPECT_EQ(r.reply.rfind("HTTP/1.1 413 ", 0), 0u) << r.reply;
  EXPECT_EQ(pair.backend.received(), "");
  // Chunked: refused when the limit is crossed.
  r = pair.to_inbound(
      "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3e8\r\n" +
      std::string(1000, 'c') + "\r\n1\r\nd\r\n0\r\n\r\n");
  EXPECT_EQ(r.reply.rfind("HTTP/1.1 413 ", 0), 0u) << r.reply;
  EXPECT_EQ(pair.wait_inbound_metric("mtls_http_errors_total", {{"reason", "body_too_large"}}, 2),
            2);
  // At the limit: fine.
  r = pair.to_inbound(
      "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
      "Connection: close\r\n\r\n" +
      std::string(1000, 'e'));
  EXPECT_EQ(r.reply.rfind("HTTP/1.1 200 ", 0), 0u) << r.reply;
}

TEST(HttpLimits, AnIncompleteHeadIsClosedAfterTheRequestTimeout) {
  HttpPair pair([](config::Config& c) { c.http.request_timeout = std::chrono::milliseconds(300); });
  const auto start = std::chrono::steady_clock::now();
  const proxy::ProbeResult r = pair.to_inbound("GET /SMUGGLED HTTP/1.1\r\nHost: x\r\n");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.handshake_ok) << r.error;
  EXPECT_EQ(r.reply, "");
  EXPECT_TRUE(r.eof);
  // The worker's coarse tick (at most 1 s with the default limits) bounds how late it fires;
  // tls_probe itself would wait 10 s.
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(pair.wait_inbound_metric("mtls_http_errors_total", {{"reason", "request_timeout"}}, 1),
            1);
  EXPECT_EQ(pair.backend.received(), "");
}

}  // namespace
}  // namespace mtls::test
