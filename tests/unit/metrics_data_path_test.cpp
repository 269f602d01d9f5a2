// The scrape side of the data-path metrics: per-worker counters summed into the exposition, the
// capped peer labels merged across workers, and the JSON log line's escaping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "metrics/log.hpp"
#include "metrics/metrics.hpp"

namespace mtls::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The exposition line of one series, e.g. `mtls_peer_connections_total{...peer="a"} 3`.
bool has_series(const std::string& text, const std::string& name_and_labels, double value) {
  std::string want = name_and_labels + " " + std::to_string(value);
  // prometheus-cpp prints integers without a fraction.
  if (value == double(long(value))) want = name_and_labels + " " + std::to_string(long(value));
  return text.find(want + "\n") != std::string::npos;
}

const std::string kWeb = R"(direction="inbound",listener="web")";

TEST(MetricsDataPath, SumsEveryWorkersCounters) {
  Metrics m({{Direction::inbound, "web"}}, 3);
  m.counters(0, 0).handshake(HandshakeReason::ok);
  m.counters(1, 0).handshake(HandshakeReason::ok);
  m.counters(2, 0).handshake(HandshakeReason::ok);
  m.counters(2, 0).handshake(HandshakeReason::identity_denied);
  m.counters(0, 0).bytes[size_t(Side::downstream)].add(100);
  m.counters(1, 0).bytes[size_t(Side::downstream)].add(23);
  m.counters(0, 0).active.add(2);
  m.counters(1, 0).active.add(-1);
  const std::string text = m.serialize();
  EXPECT_TRUE(
      has_series(text, "mtls_handshakes_total{" + kWeb + R"(,result="success",reason="ok"})", 3))
      << text;
  EXPECT_TRUE(has_series(
      text, "mtls_handshakes_total{" + kWeb + R"(,result="failure",reason="identity_denied"})", 1));
  EXPECT_TRUE(has_series(text, "mtls_bytes_total{" + kWeb + R"(,from="downstream"})", 123));
  EXPECT_TRUE(has_series(text, "mtls_connections_active{" + kWeb + "}", 1));
  EXPECT_EQ(m.active_connections(), 1);
}

// The HTTP upstream pool's series carry the contract's labels ({listener,state}, {listener}),
// exist for HTTP outbound listeners only (the ones with a pool), and sum the workers.
TEST(MetricsDataPath, UpstreamPoolSeriesSumTheWorkersOfHttpOutboundListeners) {
  Metrics m({{Direction::inbound, "web", true},
             {Direction::outbound, "orders", true},
             {Direction::outbound, "db", false}},
            2);
  m.counters(0, 1).pool_idle.add(3);
  m.counters(1, 1).pool_idle.add(1);
  m.counters(0, 1).pool_active.add(2);
  m.counters(0, 1).pool_reuse.add(5);
  m.counters(1, 1).pool_reuse.add(7);
  const std::string text = m.serialize();
  EXPECT_TRUE(
      has_series(text, R"(mtls_upstream_pool_connections{listener="orders",state="idle"})", 4))
      << text;
  EXPECT_TRUE(
      has_series(text, R"(mtls_upstream_pool_connections{listener="orders",state="active"})", 2));
  EXPECT_TRUE(has_series(text, R"(mtls_upstream_pool_reuse_total{listener="orders"})", 12));
  EXPECT_THAT(text, Not(HasSubstr(R"(mtls_upstream_pool_reuse_total{listener="web"})")));
  EXPECT_THAT(text, Not(HasSubstr(R"(mtls_upstream_pool_reuse_total{listener="db"})")));
  EXPECT_THAT(text, Not(HasSubstr(R"(mtls_upstream_pool_connections{listener="db")")));
}

// Each worker caps its own distinct peers; the merge keeps the busiest `cap` over all workers and
// folds the rest, including what workers already folded, into "other".
TEST(MetricsDataPath, PeerLabelsAreCappedAfterMergingWorkers) {
  Metrics m({{Direction::inbound, "web"}}, 2, /*max_peer_labels=*/2);
  for (int i = 0; i < 3; ++i) m.counters(0, 0).peers.count("spiffe://d/a");
  m.counters(0, 0).peers.count("spiffe://d/b");
  m.counters(0, 0).peers.count("spiffe://d/e");  // over worker 0's cap: "other" there already
  for (int i = 0; i < 3; ++i) m.counters(1, 0).peers.count("spiffe://d/c");
  m.counters(1, 0).peers.count("spiffe://d/b");
  const std::string text = m.serialize();
  const std::string series = "mtls_peer_connections_total{" + kWeb + R"(,peer=")";
  EXPECT_TRUE(has_series(text, series + R"(spiffe://d/a"})", 3)) << text;
  EXPECT_TRUE(has_series(text, series + R"(spiffe://d/c"})", 3)) << text;
  EXPECT_THAT(text, Not(HasSubstr(R"(peer="spiffe://d/b")")));
  // a 3 and c 3 are the busiest; b (1 + 1) and e (1, folded on worker 0) end up in "other".
  EXPECT_TRUE(has_series(text, series + R"(other"})", 3)) << text;
}

TEST(MetricsDataPath, NoOtherSeriesUnderTheCap) {
  Metrics m({{Direction::outbound, "orders"}}, 1, 5);
  m.counters(0, 0).peers.count("spiffe://d/a");
  EXPECT_THAT(m.serialize(), Not(HasSubstr(R"(peer="other")")));
}

struct CapturedLog {
  std::vector<std::string> lines;
  CapturedLog() {
    log::set_sink([](std::string_view line,
                     void* self) { static_cast<CapturedLog*>(self)->lines.emplace_back(line); },
                  this);
  }
  ~CapturedLog() { log::set_sink(nullptr, nullptr); }
};

// Is `s` valid UTF-8 (what Prometheus and JSON readers require)?
bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int extra = c < 0x80           ? 0
                      : (c >> 5) == 0x6  ? 1
                      : (c >> 4) == 0xe  ? 2
                      : (c >> 3) == 0x1e ? 3
                                         : -1;
    if (extra < 0 || i + extra >= s.size()) return false;
    for (int k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += 1 + extra;
  }
  return true;
}

TEST(JsonLog, EscapesQuotesBackslashesAndControlCharacters) {
  CapturedLog log;
  log::JsonLine(log::Level::error, "connection_end")
      .field("peer",
             "a\"b\\c\nd\te\x01"
             "f")
      .emit();
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_THAT(log.lines[0], HasSubstr(R"("peer":"a\"b\\c\nd\te\u0001f")")) << log.lines[0];
}

// Certificate fields are attacker-chosen bytes: a DNS SAN with invalid UTF-8 must not make the
// log line invalid JSON.
TEST(JsonLog, InvalidUtf8FromACertificateStaysValidUtf8) {
  CapturedLog log;
  log::JsonLine(log::Level::error, "connection_end")
      .field("peer", std::string("caf\xe9\xff.example"))
      .emit();
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_TRUE(valid_utf8(log.lines[0])) << log.lines[0];
  // Each invalid byte becomes the text \xNN (a JSON-escaped backslash), as in metric labels.
  EXPECT_THAT(log.lines[0], HasSubstr(R"("peer":"caf\\xe9\\xff.example")")) << log.lines[0];
}

TEST(JsonLog, ValidUtf8PassesUnchanged) {
  CapturedLog log;
  log::JsonLine(log::Level::error, "e").field("name", "zürich-東京").emit();
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_THAT(log.lines[0], HasSubstr(R"("name":"zürich-東京")"));
}

}  // namespace
}  // namespace mtls::metrics
