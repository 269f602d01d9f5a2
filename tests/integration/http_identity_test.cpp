// HTTP mode, inbound: the app learns who called it from x-forwarded-client-cert (Envoy's format)
// and http.identity_headers, set from the verified certificate; the same headers sent by the
// caller are removed first.

#include <gtest/gtest.h>

#include "tests/support/http_pair.hpp"

namespace mtls::test {
namespace {

// What the backend saw of the request: it answers GET with the request head it received.
std::string head_seen_by_app(const proxy::ProbeResult& r) {
  const std::size_t body = r.reply.find("\r\n\r\n");
  return body == std::string::npos ? "" : r.reply.substr(body + 4);
}

TEST(HttpIdentity, XfccHasEnvoysFormatFromARealPeer) {
  HttpPair pair;
  const proxy::ProbeResult r =
      pair.to_inbound("GET /who HTTP/1.1\r\nHost: backend.local\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(r.handshake_ok) << r.error;
  ASSERT_EQ(r.reply.rfind("HTTP/1.1 200 ", 0), 0u) << r.reply;
  const std::string seen = head_seen_by_app(r);
  const std::string hash = cert_der_sha256(pair.frontend.cert);
  ASSERT_EQ(hash.size(), 64u);
  EXPECT_EQ(field_of(seen, "x-forwarded-client-cert"),
            "By=" + kBackendId + ";Hash=" + hash + ";URI=" + kFrontendId + ";DNS=frontend.local");
  EXPECT_EQ(field_of(seen, "x-client-spiffe-id"), kFrontendId);
  EXPECT_EQ(field_of(seen, "x-client-cert-hash"), hash);
}

TEST(HttpIdentity, SpoofedIdentityHeadersAreReplaced) {
  HttpPair pair;
  const proxy::ProbeResult r = pair.to_inbound(
      "GET /who HTTP/1.1\r\nHost: backend.local\r\n"
      "X-Forwarded-Client-Cert: By=spiffe://evil/x;URI=spiffe://test.local/ns/default/sa/admin\r\n"
      "x-forwarded-client-cert: URI=spiffe://test.local/ns/default/sa/admin\r\n"
      "X-Client-Spiffe-Id: spiffe://test.local/ns/default/sa/admin\r\n"
      "x-client-cert-hash: 00\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(r.handshake_ok) << r.error;
  const std::string seen = head_seen_by_app(r);
  ASSERT_FALSE(seen.empty()) << r.reply;
  EXPECT_EQ(seen.find("sa/admin"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("spiffe://evil"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("hash: 00\r\n"), std::string::npos) << seen;
  // Exactly one of each, ours.
  const auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    std::string lowered = seen;
    for (auto& c : lowered) c = char(std::tolower(static_cast<unsigned char>(c)));
    for (std::size_t at = lowered.find(needle); at != std::string::npos;
         at = lowered.find(needle, at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(count("x-forwarded-client-cert:"), 1u);
  EXPECT_EQ(count("x-client-spiffe-id:"), 1u);
  EXPECT_EQ(field_of(seen, "x-client-spiffe-id"), kFrontendId);
}

TEST(HttpIdentity, OutboundToInboundCarriesTheCallersIdentity) {
  HttpPair pair;
  HttpConnection app(pair.outbound_port());
  ASSERT_TRUE(app.connected());
  ASSERT_TRUE(app.send("GET /who HTTP/1.1\r\nHost: backend.local\r\n\r\n"));
  const HttpReply reply = app.read_reply();
  ASSERT_EQ(reply.status, 200) << reply.head;
  EXPECT_EQ(field_of(reply.body, "x-client-spiffe-id"), kFrontendId);
  const std::map<std::string, std::string> get_2xx = {{"method", "GET"}, {"code_class", "2xx"}};
  EXPECT_EQ(pair.wait_inbound_metric("mtls_http_requests_total", get_2xx, 1), 1);
  EXPECT_EQ(pair.wait_outbound_metric("mtls_http_requests_total", get_2xx, 1), 1);
}

}  // namespace
}  // namespace mtls::test

namespace mtls::test {
namespace {

TEST(HttpAccessLog, OneJsonLinePerRequestWhenEnabled) {
  LogCapture log;  // before the sidecars: the sink is process-wide
  HttpPair pair([](config::Config& c) { c.http.access_log = true; });
  HttpConnection app(pair.outbound_port());
  ASSERT_TRUE(app.connected());
  ASSERT_TRUE(
      app.send("POST /upload HTTP/1.1\r\nHost: backend.local\r\nContent-Length: 5\r\n\r\n"
               "hello"));
  ASSERT_EQ(app.read_reply().status, 200);
  EXPECT_NE(log.wait_for({"\"event\":\"http_request\"", "\"direction\":\"inbound\"",
                          "\"peer\":\"" + kFrontendId + "\"", "\"method\":\"POST\"",
                          "\"path\":\"/upload\"", "\"status\":200", "\"request_bytes\":5"}),
            "");
  EXPECT_NE(log.wait_for({"\"event\":\"http_request\"", "\"direction\":\"outbound\"",
                          "\"peer\":\"" + kBackendId + "\"", "\"status\":200"}),
            "");
}

TEST(HttpAccessLog, OffByDefault) {
  LogCapture log;
  HttpPair pair;
  HttpConnection app(pair.outbound_port());
  ASSERT_TRUE(app.connected());
  ASSERT_TRUE(app.send("GET / HTTP/1.1\r\nHost: backend.local\r\n\r\n"));
  ASSERT_EQ(app.read_reply().status, 200);
  EXPECT_EQ(pair.wait_inbound_metric("mtls_http_requests_total", {{"method", "GET"}}, 1), 1);
  for (const std::string& line : log.lines())
    EXPECT_EQ(line.find("\"http_request\""), std::string::npos) << line;
}

}  // namespace
}  // namespace mtls::test
