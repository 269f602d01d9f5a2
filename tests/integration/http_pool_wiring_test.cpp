// HTTP mode, outbound: upstream mTLS connections come from the per-worker pool and go back to it,
// so an app that opens a connection per request (Connection: close) pays no handshake per
// request, and an upstream that closes idle pooled connections costs no failed request.

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/backends.hpp"
#include "tests/support/http_pair.hpp"

namespace mtls::test {
namespace {

const std::string kRequest =
    "GET /pooled HTTP/1.1\r\nHost: backend.local\r\nConnection: close\r\n\r\n";

bool ok(const PlainExchange& r) { return r.reply.rfind("HTTP/1.1 200 ", 0) == 0; }

TEST(HttpPool, ConnectionCloseClientsShareAHandfulOfUpstreamHandshakes) {
  HttpPair pair;  // one worker each side
  constexpr int kRequests = 1000;
  int failed = 0;
  std::string first_failure;
  for (int i = 0; i < kRequests; ++i) {
    const PlainExchange r = plain_exchange(pair.outbound_port(), kRequest);
    if (!ok(r) && failed++ == 0) first_failure = r.reply;
  }
  EXPECT_EQ(failed, 0) << first_failure;
  const double handshakes = pair.inbound_metric("mtls_handshakes_total", {{"result", "success"}});
  std::printf("[ pool ] %d requests, %d new downstream connections: %.0f inbound handshakes\n",
              kRequests, kRequests, handshakes);
  EXPECT_GE(handshakes, 1);
  EXPECT_LE(handshakes, 1 + 2);  // workers + 2
  EXPECT_GE(pair.outbound_metric("mtls_upstream_pool_reuse_total", {}), kRequests - 3);
}

TEST(HttpPool, AnUpstreamClosingIdlePooledConnectionsFailsNoRequest) {
  // The inbound closes a kept-alive connection after 150 ms without a request: pooled
  // connections die at every phase of their idleness while requests keep coming.
  HttpPair pair([](config::Config& c) {
    if (c.inbound.empty()) return;
    c.http.idle_timeout = std::chrono::milliseconds(150);
    c.limits.connect_timeout = std::chrono::milliseconds(400);  // a tick every 100 ms
  });
  constexpr int kRequests = 60;
  int failed = 0;
  std::string first_failure;
  for (int i = 0; i < kRequests; ++i) {
    // Gaps around the upstream's idle timeout (and its tick), so closes meet checkouts.
    std::this_thread::sleep_for(std::chrono::milliseconds((i % 8) * 40));
    const PlainExchange r = plain_exchange(pair.outbound_port(), kRequest);
    if (!ok(r) && failed++ == 0) first_failure = r.reply;
  }
  EXPECT_EQ(failed, 0) << first_failure;
  // The closes did happen: the pool had to open new connections.
  const double handshakes = pair.inbound_metric("mtls_handshakes_total", {{"result", "success"}});
  std::printf("[ pool ] %d requests with idle gaps: %.0f inbound handshakes\n", kRequests,
              handshakes);
  EXPECT_GT(handshakes, 3);
}

}  // namespace
}  // namespace mtls::test
