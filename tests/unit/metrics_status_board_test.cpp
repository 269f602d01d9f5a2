// The GET /status document: counters summed over workers, the history's buckets adding up to the
// counters, refusals of every worker merged newest first and capped, peers busiest first, and the
// sidecar's facts (identity, CRLs, readiness) passed through. Plus the page's size budget.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "metrics/status_board.hpp"
#include "metrics/status_page.hpp"

namespace mtls::metrics {
namespace {
namespace json = boost::json;

std::uint64_t sum_of(const json::value& counts) {
  std::uint64_t total = 0;
  for (const auto& v : counts.as_array()) total += v.to_number<std::uint64_t>();
  return total;
}

class StatusBoardTest : public ::testing::Test {
 protected:
  StatusBoardTest()
      : metrics_({{Direction::inbound, "in"}, {Direction::outbound, "out"}}, 2),
        board_(metrics_,
               {{"0.0.0.0:8443", "127.0.0.1:8080", "tcp"}, {"127.0.0.1:15001", "b:8443", "tcp"}},
               std::chrono::seconds(10), 1'000'000) {}

  json::object document(const StatusFacts& facts = {}, std::int64_t now = 1'015'000) {
    return json::parse(board_.json(facts, now)).as_object();
  }

  Metrics metrics_;
  StatusBoard board_;
};

TEST_F(StatusBoardTest, ListenersCarryTheirSummedCountersAndConfig) {
  metrics_.counters(0, 0).handshake(HandshakeReason::ok);
  metrics_.counters(1, 0).handshake(HandshakeReason::ok);
  metrics_.counters(1, 0).handshake(HandshakeReason::unknown_ca);
  metrics_.counters(0, 0).connections.add(3);
  metrics_.counters(0, 0).active.add(2);
  metrics_.counters(1, 1).connect_failures[index(ConnectFailure::refused)].add();
  const json::object doc = document();
  const json::array& listeners = doc.at("listeners").as_array();
  ASSERT_EQ(listeners.size(), 2u);
  const json::object& in = listeners[0].as_object();
  EXPECT_EQ(in.at("name"), "in");
  EXPECT_EQ(in.at("direction"), "inbound");
  EXPECT_EQ(in.at("listen"), "0.0.0.0:8443");
  EXPECT_EQ(in.at("forward"), "127.0.0.1:8080");
  EXPECT_EQ(in.at("active").to_number<int>(), 2);
  EXPECT_EQ(in.at("connections_total").to_number<int>(), 3);
  EXPECT_EQ(in.at("handshakes_total").at("ok").to_number<int>(), 2);
  EXPECT_EQ(in.at("handshakes_total").at("unknown_ca").to_number<int>(), 1);
  EXPECT_FALSE(in.at("handshakes_total").as_object().contains("expired"));  // never happened
  // No tick yet: the rate is over the bucket in progress, 3 connections in 15 s.
  EXPECT_DOUBLE_EQ(in.at("connections_per_second").to_number<double>(), 0.2);
  EXPECT_EQ(listeners[1].at("upstream_connect_failures").at("refused").to_number<int>(), 1);
}

TEST_F(StatusBoardTest, HistoryAddsUpToTheCounters) {
  metrics_.counters(0, 0).handshake(HandshakeReason::ok);
  board_.tick(1'010'000);
  metrics_.counters(1, 0).handshake(HandshakeReason::identity_denied);
  metrics_.counters(0, 0).handshake(HandshakeReason::ok);
  board_.tick(1'020'000);
  metrics_.counters(1, 0).handshake(HandshakeReason::ok);
  const json::object doc = document({}, 1'025'000);
  const json::object& history = doc.at("listeners").at(0).at("history").as_object();
  EXPECT_EQ(history.at("bucket_starts_unix_ms").as_array().size(), 3u);
  EXPECT_EQ(history.at("until_unix_ms").to_number<std::int64_t>(), 1'025'000);
  const json::object& series = history.at("handshakes").as_object();
  EXPECT_EQ(series.at("ok").as_array(), (json::array{1, 1, 1}));
  EXPECT_EQ(series.at("identity_denied").as_array(), (json::array{0, 1, 0}));
  EXPECT_EQ(sum_of(series.at("ok")), 3u);
  EXPECT_FALSE(series.contains("unknown_ca"));
  EXPECT_EQ(doc.at("bucket_seconds").to_number<double>(), 10.0);
}

TEST_F(StatusBoardTest, RefusalsOfEveryWorkerMergeNewestFirstAndStopAtTwenty) {
  for (int i = 0; i < 15; ++i) {
    metrics_.counters(0, 0).refusals.record(1000 + 2 * i, "10.0.0.1:1", "unknown_ca", "-");
    metrics_.counters(1, 1).refusals.record(1001 + 2 * i, "10.0.0.2:2", "identity_denied",
                                            "spiffe://x/y");
  }
  const json::array refusals = document().at("refusals").as_array();
  ASSERT_EQ(refusals.size(), StatusBoard::kRefusals);
  EXPECT_EQ(refusals[0].at("unix_ms").to_number<int>(), 1029);
  EXPECT_EQ(refusals[0].at("listener"), "out");
  EXPECT_EQ(refusals[0].at("direction"), "outbound");
  EXPECT_EQ(refusals[0].at("reason"), "identity_denied");
  EXPECT_EQ(refusals[0].at("peer"), "spiffe://x/y");
  EXPECT_EQ(refusals[0].at("time"), "1970-01-01T00:00:01.029Z");
  EXPECT_EQ(refusals[1].at("listener"), "in");
  EXPECT_EQ(refusals[1].at("remote"), "10.0.0.1:1");
  EXPECT_EQ(refusals[19].at("unix_ms").to_number<int>(), 1010);
}

TEST_F(StatusBoardTest, PeersAreTheBusiestFirst) {
  metrics_.counters(0, 0).peers.count("a");
  for (int i = 0; i < 3; ++i) metrics_.counters(1, 0).peers.count("b");
  const json::array peers = document().at("listeners").at(0).at("peers").as_array();
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].at("peer"), "b");
  EXPECT_EQ(peers[0].at("connections").to_number<int>(), 3);
  EXPECT_EQ(peers[1].at("peer"), "a");
}

TEST_F(StatusBoardTest, CarriesIdentityCrlsAndReadinessFromTheSidecar) {
  StatusFacts facts;
  facts.certs_json =
      R"({"last_reload":{"at":"x","result":"success","error":""},)"
      R"("identity":{"serial":"0A","uri_sans":["spiffe://t/a"]},"trust":[{"serial":"01"}]})";
  facts.crls = {{"CN=ca", 1'015 + 3600}, {"CN=old", 0}};
  facts.ready = false;
  facts.not_ready_reason = "draining";
  facts.draining = true;
  const json::object doc = document(facts);
  EXPECT_EQ(doc.at("identity").at("serial"), "0A");
  EXPECT_EQ(doc.at("trust").at(0).at("serial"), "01");
  EXPECT_EQ(doc.at("last_reload").at("result"), "success");
  EXPECT_EQ(doc.at("crls").at(0).at("issuer"), "CN=ca");
  EXPECT_EQ(doc.at("crls").at(0).at("expires_in_seconds").to_number<int>(), 3600);
  EXPECT_EQ(doc.at("crls").at(0).at("next_update"), "1970-01-01T01:16:55Z");
  EXPECT_TRUE(doc.at("crls").at(1).at("next_update").is_null());
  EXPECT_EQ(doc.at("ready"), false);
  EXPECT_EQ(doc.at("not_ready_reason"), "draining");
  EXPECT_EQ(doc.at("draining"), true);
  EXPECT_EQ(doc.at("now"), "1970-01-01T00:16:55.000Z");
}

TEST_F(StatusBoardTest, AnUnreadableCertsDocumentShowsAsNoIdentityInsteadOfThrowing) {
  StatusFacts facts;
  facts.certs_json = "{not json";
  const json::object doc = document(facts);
  EXPECT_TRUE(doc.at("identity").is_null());
  EXPECT_TRUE(doc.at("trust").is_null());
  EXPECT_EQ(doc.at("listeners").as_array().size(), 2u);
}

TEST(StatusPage, IsSmallAndLoadsNothingFromElsewhere) {
  const std::size_t size = status_html().size() + status_js().size() + status_css().size();
  EXPECT_LT(size, 50u * 1024);
  for (std::string_view view : {status_html(), status_js(), status_css()}) {
    // The SVG namespace is a name, not a request.
    std::string file(view);
    const std::string svg_namespace = "http://www.w3.org/2000/svg";
    for (auto at = file.find(svg_namespace); at != std::string::npos; at = file.find(svg_namespace))
      file.erase(at, svg_namespace.size());
    EXPECT_EQ(file.find("http:"), std::string::npos);
    EXPECT_EQ(file.find("https:"), std::string::npos);
    EXPECT_EQ(file.find("url("), std::string::npos);
    EXPECT_EQ(file.find("style=\""), std::string::npos);  // blocked by the CSP
  }
  EXPECT_NE(status_html().find("<script src=\"/status.js\"></script>"), std::string_view::npos);
  EXPECT_EQ(status_html().find("<script>"), std::string_view::npos);  // no inline script
  EXPECT_EQ(status_html().find("<style"), std::string_view::npos);
  EXPECT_EQ(kStatusCsp.substr(0, 20), "default-src 'self'; ");
}

}  // namespace
}  // namespace mtls::metrics
