// HTTP mode through outbound -> mTLS -> inbound: bodies streamed both ways (chunked and
// Content-Length) byte-exact, keep-alive, and the switch to the byte relay after Upgrade (101)
// and CONNECT (2xx).

#include <gtest/gtest.h>

#include "tests/support/backends.hpp"
#include "tests/support/http_pair.hpp"

namespace mtls::test {
namespace {

constexpr std::size_t k64MiB = 64u << 20;

TEST(HttpStreaming, ChunkedUploadOf64MiBArrivesByteExact) {
  HttpPair pair;
  HttpConnection app(pair.outbound_port());
  ASSERT_TRUE(app.connected());
  const std::string data = random_bytes(k64MiB, 11);
  ASSERT_TRUE(
      app.send("POST /upload HTTP/1.1\r\nHost: backend.local\r\n"
               "Transfer-Encoding: chunked\r\n\r\n"));
  // Uneven chunk sizes, so chunk boundaries never line up with the proxy's buffers.
  bool sent = true;
  for (std::size_t i = 0, k = 1; i < data.size() && sent; i += k, k = k * 7 % 65521 + 1) {
    k = std::min(k, data.size() - i);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", k);
    sent = app.send(size + data.substr(i, k) + "\r\n");
  }
  ASSERT_TRUE(sent && app.send("0\r\n\r\n"));
  const HttpReply reply = app.read_reply(false, 120000);
  ASSERT_EQ(reply.status, 200) << reply.head;
  EXPECT_EQ(reply.body, std::to_string(k64MiB) + " " + sha256_hex(data));
}

TEST(HttpStreaming, ContentLengthUploadAndChunkedDownloadOf64MiB) {
  HttpPair pair;
  HttpConnection app(pair.outbound_port());
  ASSERT_TRUE(app.connected());
  const std::string data = random_bytes(k64MiB, 12);
  ASSERT_TRUE(app.send("PUT /upload HTTP/1.1\r\nHost: backend.local\r\nContent-Length: " +
                       std::to_string(data.size()) + "\r\n\r\n" + data));
  HttpReply reply = app.read_reply(false, 120000);
  ASSERT_EQ(reply.status, 200) << reply.head;
  EXPECT_EQ(reply.body, std::to_string(k64MiB) + " " + sha256_hex(data));
  // The same connection (keep-alive) downloads 64 MiB chunked.
  ASSERT_TRUE(app.send("GET /download/" + std::to_string(k64MiB) +
                       " HTTP/1.1\r\nHost: backend.local\r\n\r\n"));
  reply = app.read_reply(false, 120000);
  ASSERT_EQ(reply.status, 200) << reply.head;
  EXPECT_EQ(field_of(reply.head, "transfer-encoding"), "chunked");
  ASSERT_EQ(reply.body.size(), k64MiB);
  EXPECT_EQ(sha256_hex(reply.body), sha256_hex(random_bytes(k64MiB, 7)));
  EXPECT_EQ(pair.backend.connections(), 1) << "one upstream connection for the keep-alive app";
}

TEST(HttpStreaming, KeepAliveCarriesManyRequestsOnOneConnection) {
  HttpPair pair;
  HttpConnection app(pair.outbound_port());
  ASSERT_TRUE(app.connected());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        app.send("GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: backend.local\r\n\r\n"));
    const HttpReply reply = app.read_reply();
    ASSERT_EQ(reply.status, 200) << i << reply.head;
    EXPECT_EQ(reply.body.rfind("GET /r" + std::to_string(i) + " HTTP/1.1\r\n", 0), 0u);
  }
  // HEAD: the response's Content-Length is passed on, no body follows.
  ASSERT_TRUE(app.send("HEAD /h HTTP/1.1\r\nHost: backend.local\r\n\r\n"));
  HttpReply reply = app.read_reply(true);
  EXPECT_EQ(reply.status, 200);
  EXPECT_FALSE(field_of(reply.head, "content-length").empty()) << reply.head;
  // Connection: close from the app closes the downstream after its response.
  ASSERT_TRUE(app.send("GET /last HTTP/1.1\r\nHost: backend.local\r\nConnection: close\r\n\r\n"));
  reply = app.read_reply();
  EXPECT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.closed);
  EXPECT_EQ(app.read_raw(1), "");
  EXPECT_EQ(pair.backend.connections(), 1);
  EXPECT_EQ(pair.wait_inbound_metric("mtls_handshakes_total", {{"reason", "ok"}}, 1), 1);
  EXPECT_EQ(pair.wait_inbound_metric("mtls_http_requests_total", {{"method", "GET"}}, 21), 21);
}

TEST(HttpStreaming, UpgradeSwitchesToTheByteRelayBothWays) {
  HttpPair pair;
  HttpConnection app(pair.outbound_port());
  ASSERT_TRUE(app.connected());
  ASSERT_TRUE(
      app.send("GET /ws HTTP/1.1\r\nHost: backend.local\r\nConnection: Upgrade\r\n"
               "Upgrade: echo-test\r\n\r\n"));
  const HttpReply reply = app.read_reply();
  ASSERT_EQ(reply.status, 101) << reply.head;
  EXPECT_EQ(field_of(reply.head, "upgrade"), "echo-test");
  // Not HTTP any more: bytes both ways, including what would be refused as a request head.
  const std::string payload = "\x81\x05hello GET / HTTP/1.1\nbare\r\n" + random_bytes(100000, 3);
  ASSERT_TRUE(app.send(payload));
  EXPECT_EQ(app.read_raw(payload.size()), payload);
  app.shutdown_send();
  EXPECT_EQ(app.read_raw(1), "");
}

TEST(HttpStreaming, ConnectSwitchesToTheByteRelay) {
  HttpPair pair;
  HttpConnection app(pair.outbound_port());
  ASSERT_TRUE(app.connected());
  ASSERT_TRUE(app.send("CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n"));
  const HttpReply reply = app.read_reply();
  ASSERT_EQ(reply.status, 200) << reply.head;
  const std::string payload = random_bytes(300000, 4);
  ASSERT_TRUE(app.send(payload));
  EXPECT_EQ(app.read_raw(payload.size()), payload);
}

}  // namespace
}  // namespace mtls::test
