// GET /status and the status page over real HTTP from a sidecar that carried traffic and refused
// clients: exact counts, the chart's buckets adding up to /metrics, the refusals with their
// reason, address and presented identity, and the page served under its CSP.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "proxy/demo/tls_probe.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {
namespace json = boost::json;

struct HttpReply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

HttpReply http_get(std::uint16_t port, const std::string& path) {
  const PlainExchange x = plain_exchange(port, "GET " + path + " HTTP/1.0\r\n\r\n", 5000);
  HttpReply r;
  if (x.reply.size() > 12) r.status = std::stoi(x.reply.substr(9, 3));
  const auto at = x.reply.find("\r\n\r\n");
  r.head = x.reply.substr(0, at);
  if (at != std::string::npos) r.body = x.reply.substr(at + 4);
  return r;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

std::uint64_t sum_of(const json::value& counts) {
  std::uint64_t total = 0;
  for (const auto& v : counts.as_array()) total += v.to_number<std::uint64_t>();
  return total;
}

class Status : public ::testing::Test {
 protected:
  Status()
      : backend_(Backend::Mode::echo),
        frontend_(pki_.leaf("frontend", kFrontendId, {"frontend.local"})),
        intruder_(pki_.leaf("intruder", kIntruderId, {})) {
    config::Config c = base_config(pki_, pki_.leaf("backend", kBackendId, {"backend.local"}), 2);
    c.inbound.push_back(inbound_listener(backend_.port()));
    proxy::SidecarOptions options;
    options.status_bucket = std::chrono::milliseconds(100);
    sidecar_ = std::make_unique<proxy::Sidecar>(std::move(c), options);
    sidecar_->start();
  }

  proxy::ProbeResult connect(const TestPki::Files* client) {
    proxy::ProbeOptions o;
    o.port = sidecar_->port("in");
    if (client) {
      o.cert_file = client->cert;
      o.key_file = client->key;
    }
    o.half_close = true;
    return proxy::tls_probe(o, "ping");
  }

  // /metrics once every connection has ended and `handshakes` were counted.
  std::string settled_metrics(double handshakes) {
    std::string text;
    for (int i = 0; i < 500; ++i) {
      text = http_get(sidecar_->admin_port(), "/metrics").body;
      if (sample(text, "mtls_connections_active", {}) == 0 &&
          sample(text, "mtls_handshakes_total", {}) == handshakes)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return text;
  }

  static inline const std::string kIntruderId = "spiffe://test.local/ns/default/sa/intruder";
  TestPki pki_;
  Backend backend_;
  TestPki::Files frontend_, intruder_;
  std::unique_ptr<proxy::Sidecar> sidecar_;
};

TEST_F(Status, ShowsExactlyTheTrafficAndRefusalsThatHappened) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(connect(&frontend_).reply, "ping");
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(connect(&intruder_).reply.empty());
  // Refusals are ordered by their millisecond: make the last one's a later millisecond.
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_TRUE(connect(nullptr).reply.empty());
  const std::string metrics = settled_metrics(6);
  ASSERT_EQ(sample(metrics, "mtls_handshakes_total", {}), 6) << metrics;

  const HttpReply reply = http_get(sidecar_->admin_port(), "/status");
  ASSERT_EQ(reply.status, 200);
  EXPECT_NE(reply.head.find("Content-Type: application/json"), std::string::npos) << reply.head;
  const json::object doc = json::parse(reply.body).as_object();
  EXPECT_EQ(doc.at("ready"), true);
  EXPECT_EQ(doc.at("draining"), false);
  const json::object certs =
      json::parse(http_get(sidecar_->admin_port(), "/certs").body).as_object();
  EXPECT_EQ(doc.at("identity").at("serial"), certs.at("identity").at("serial"));
  EXPECT_EQ(str(doc.at("identity").at("uri_sans").at(0)), kBackendId);

  const json::object& in = doc.at("listeners").at(0).as_object();
  EXPECT_EQ(in.at("name"), "in");
  EXPECT_EQ(in.at("direction"), "inbound");
  EXPECT_EQ(str(in.at("listen")), "127.0.0.1:" + std::to_string(sidecar_->port("in")));
  EXPECT_EQ(str(in.at("forward")), "127.0.0.1:" + std::to_string(backend_.port()));
  EXPECT_EQ(in.at("connections_total").to_number<int>(), 6);
  EXPECT_EQ(in.at("active").to_number<int>(), 0);
  const json::object& totals = in.at("handshakes_total").as_object();
  EXPECT_EQ(totals.at("ok").to_number<int>(), 3);
  EXPECT_EQ(totals.at("identity_denied").to_number<int>(), 2);
  EXPECT_EQ(totals.at("no_peer_cert").to_number<int>(), 1);
  ASSERT_EQ(in.at("peers").as_array().size(), 1u);
  EXPECT_EQ(str(in.at("peers").at(0).at("peer")), kFrontendId);
  EXPECT_EQ(in.at("peers").at(0).at("connections").to_number<int>(), 3);

  // Newest first; both workers' rings merged.
  const json::array& refusals = doc.at("refusals").as_array();
  ASSERT_EQ(refusals.size(), 3u);
  EXPECT_EQ(refusals[0].at("reason"), "no_peer_cert");
  EXPECT_EQ(refusals[0].at("peer"), "-");
  std::multiset<std::string> reasons;
  for (const auto& r : refusals) {
    reasons.insert(str(r.at("reason")));
    EXPECT_EQ(r.at("listener"), "in");
    EXPECT_EQ(str(r.at("remote")).substr(0, 10), "127.0.0.1:") << r;
    if (r.at("reason") == "identity_denied") {
      EXPECT_EQ(str(r.at("peer")), kIntruderId);
    }
  }
  EXPECT_EQ(reasons,
            (std::multiset<std::string>{"identity_denied", "identity_denied", "no_peer_cert"}));
  EXPECT_GE(refusals[0].at("unix_ms").to_number<std::int64_t>(),
            refusals[2].at("unix_ms").to_number<std::int64_t>());
}

// The chart's buckets, closed ones and the one in progress, add up to the /metrics counters: the
// history loses nothing between ticks, whichever bucket an event fell in.
TEST_F(Status, ChartBucketsAddUpToTheMetricsCounters) {
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(connect(&frontend_).reply, "ping");
    EXPECT_TRUE(connect(&intruder_).reply.empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // let a bucket close between
  }
  const std::string metrics = settled_metrics(6);
  const json::object doc =
      json::parse(http_get(sidecar_->admin_port(), "/status").body).as_object();
  const json::object& history = doc.at("listeners").at(0).at("history").as_object();
  EXPECT_GE(history.at("bucket_starts_unix_ms").as_array().size(), 3u);
  for (const auto& [reason, counts] : history.at("handshakes").as_object()) {
    EXPECT_EQ(double(sum_of(counts)),
              sample(metrics, "mtls_handshakes_total", {{"reason", std::string(reason)}}))
        << reason;
  }
  EXPECT_EQ(sum_of(history.at("handshakes").at("ok")), 3u);
  EXPECT_EQ(sum_of(history.at("handshakes").at("identity_denied")), 3u);
  // Spread over more than one bucket: the sleeps let ticks pass between rounds.
  std::size_t buckets_with_ok = 0;
  for (const auto& v : history.at("handshakes").at("ok").as_array())
    buckets_with_ok += v.to_number<int>() > 0;
  EXPECT_GE(buckets_with_ok, 2u);
}

TEST_F(Status, ServesThePageAndItsFilesUnderAStrictCsp) {
  const HttpReply page = http_get(sidecar_->admin_port(), "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.head.find("Content-Type: text/html"), std::string::npos) << page.head;
  EXPECT_NE(page.head.find("Content-Security-Policy: default-src 'self';"), std::string::npos)
      << page.head;
  EXPECT_NE(page.head.find("X-Content-Type-Options: nosniff"), std::string::npos);
  EXPECT_NE(page.body.find("<script src=\"/status.js\"></script>"), std::string::npos);
  const HttpReply script = http_get(sidecar_->admin_port(), "/status.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_NE(script.head.find("Content-Type: text/javascript"), std::string::npos);
  EXPECT_NE(script.body.find("fetch('/status'"), std::string::npos);
  const HttpReply style = http_get(sidecar_->admin_port(), "/status.css");
  EXPECT_EQ(style.status, 200);
  EXPECT_NE(style.head.find("Content-Type: text/css"), std::string::npos);
  EXPECT_LT(page.body.size() + script.body.size() + style.body.size(), 50u * 1024);
  EXPECT_EQ(http_get(sidecar_->admin_port(), "/status.json").status, 404);
}

}  // namespace
}  // namespace mtls::test
