// `mtls-sidecar status`: the /status document as terminal tables, with the expiry in words, and
// the admin URL forms it accepts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "metrics/status_board.hpp"
#include "metrics/status_text.hpp"

namespace mtls::metrics {
namespace {

using ::testing::HasSubstr;

TEST(StatusText, PrintsListenersHandshakesPeersAndRefusals) {
  Metrics m({{Direction::inbound, "orders"}}, 1);
  StatusBoard board(m, {{"0.0.0.0:8443", "127.0.0.1:8080", "tcp"}}, std::chrono::seconds(10), 0);
  m.counters(0, 0).handshake(HandshakeReason::ok);
  m.counters(0, 0).handshake(HandshakeReason::no_peer_cert);
  m.counters(0, 0).handshake(HandshakeReason::no_peer_cert);
  m.counters(0, 0).peers.count("spiffe://demo.local/web");
  m.counters(0, 0).refusals.record(1000, "127.0.0.1:5555", "no_peer_cert", "-");
  StatusFacts facts;
  facts.certs_json =
      R"({"identity":{"uri_sans":["spiffe://demo.local/orders"],"dns_sans":[],"serial":"0ABC",)"
      R"("source":"file","not_after":"2030-01-01T00:00:00Z","expires_in_seconds":86400},)"
      R"("trust":[{"subject":"CN=ca","not_after":"2020-01-01T00:00:00Z","expires_in_seconds":-5}],)"
      R"("last_reload":{"at":"2026-01-01T00:00:00Z","result":"success","error":""}})";
  facts.ready = true;
  const std::string out = status_text(board.json(facts, 5000));
  EXPECT_THAT(out, HasSubstr(": ready\n"));
  EXPECT_THAT(out, HasSubstr("identity spiffe://demo.local/orders"));
  EXPECT_THAT(out, HasSubstr("serial 0ABC"));
  EXPECT_THAT(out, HasSubstr("< 7 DAYS, in 1d 0h"));
  EXPECT_THAT(out, HasSubstr("EXPIRED"));
  EXPECT_THAT(out, HasSubstr("orders  inbound    0.0.0.0:8443 -> 127.0.0.1:8080"));
  EXPECT_THAT(out, HasSubstr("orders    no_peer_cert  2"));
  EXPECT_THAT(out, HasSubstr("spiffe://demo.local/web  1"));
  EXPECT_THAT(out, HasSubstr("127.0.0.1:5555  no_peer_cert  -"));
}

TEST(StatusText, RejectsWhatIsNotAStatusDocument) {
  EXPECT_THROW(status_text(R"({"identity":null})"), std::exception);
  EXPECT_THROW(status_text("not json"), std::exception);
}

}  // namespace
}  // namespace mtls::metrics
