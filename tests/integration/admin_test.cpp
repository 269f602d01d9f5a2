// The admin server over real HTTP: /metrics after known traffic shows exactly that traffic,
// per-peer counts respect their cap, /certs follows a rotation, /ready follows the lifecycle.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "proxy/tls_probe.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

struct HttpReply {
  int status = 0;
  std::string body;
};

HttpReply http_get(std::uint16_t port, const std::string& path) {
  const PlainExchange x = plain_exchange(port, "GET " + path + " HTTP/1.0\r\n\r\n", 5000);
  HttpReply r;
  if (x.reply.size() > 12) r.status = std::stoi(x.reply.substr(9, 3));
  if (auto at = x.reply.find("\r\n\r\n"); at != std::string::npos) r.body = x.reply.substr(at + 4);
  return r;
}

TEST(Admin, MetricsShowExactlyTheTrafficThatHappened) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  const std::string payload(12345, 'x');
  for (int i = 0; i < 5; ++i) ASSERT_EQ(plain_exchange(pair.outbound_port(), payload).reply, payload);
  const auto intruder = pki.leaf("intruder", "spiffe://test.local/ns/default/sa/intruder", {});
  for (int i = 0; i < 2; ++i) {
    proxy::ProbeOptions o;
    o.port = pair.inbound_port();
    o.cert_file = intruder.cert;
    o.key_file = intruder.key;
    o.half_close = true;
    EXPECT_TRUE(proxy::tls_probe(o, "x").reply.empty());
  }
  std::string text;
  for (int i = 0; i < 300; ++i) {
    text = http_get(pair.inbound->admin_port(), "/metrics").body;
    if (sample(text, "mtls_connections_active", {}) == 0 &&
        sample(text, "mtls_handshakes_total", {{"reason", "identity_denied"}}) == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::map<std::string, std::string> in = {{"direction", "inbound"}, {"listener", "in"}};
  auto with = [&](std::map<std::string, std::string> extra) {
    extra.insert(in.begin(), in.end());
    return extra;
  };
  EXPECT_EQ(sample(text, "mtls_handshakes_total", with({{"result", "success"}})), 5);
  EXPECT_EQ(sample(text, "mtls_handshakes_total", with({{"reason", "identity_denied"}})), 2);
  EXPECT_EQ(sample(text, "mtls_connections_total", in), 7);
  EXPECT_EQ(sample(text, "mtls_bytes_total", with({{"from", "downstream"}})), 5 * 12345);
  EXPECT_EQ(sample(text, "mtls_bytes_total", with({{"from", "upstream"}})), 5 * 12345);
  EXPECT_EQ(sample(text, "mtls_peer_connections_total", with({{"peer", kFrontendId}})), 5);
  EXPECT_EQ(sample(text, "mtls_handshake_duration_seconds_count", in), 5);
  EXPECT_GT(sample(text, "mtls_certificate_expiry_timestamp_seconds", {{"kind", "identity"}}), 0);
}

TEST(Admin, PeerLabelsAreCappedAndTheRestFoldIntoOther) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  config::Config c = base_config(pki, pki.leaf("backend", kBackendId, {"backend.local"}));
  c.metrics.max_peer_labels = 2;
  c.inbound.push_back(inbound_listener(backend.port()));
  c.inbound.back().allow = {};
  c.inbound.back().allow.trust_domains = {"test.local"};
  proxy::Sidecar sidecar(std::move(c));
  sidecar.start();
  for (int i = 0; i < 4; ++i) {
    const auto files = pki.leaf("peer" + std::to_string(i), "spiffe://test.local/sa/peer" + std::to_string(i), {});
    proxy::ProbeOptions o;
    o.port = sidecar.port("in");
    o.cert_file = files.cert;
    o.key_file = files.key;
    o.half_close = true;
    ASSERT_EQ(proxy::tls_probe(o, "hi").reply, "hi");
  }
  const std::string text = http_get(sidecar.admin_port(), "/metrics").body;
  EXPECT_EQ(sample(text, "mtls_peer_connections_total", {{"peer", "spiffe://test.local/sa/peer0"}}), 1);
  EXPECT_EQ(sample(text, "mtls_peer_connections_total", {{"peer", "spiffe://test.local/sa/peer1"}}), 1);
  EXPECT_EQ(sample(text, "mtls_peer_connections_total", {{"peer", "other"}}), 2);
  EXPECT_EQ(sample(text, "mtls_peer_connections_total", {{"peer", "spiffe://test.local/sa/peer3"}}), -1);
}

TEST(Admin, CertsDescribesTheServedIdentityAndFollowsARotation) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  const auto before = boost::json::parse(http_get(pair.inbound->admin_port(), "/certs").body);
  const auto& id = before.at("identity");
  EXPECT_EQ(id.at("uri_sans").at(0).as_string(), kBackendId);
  EXPECT_EQ(id.at("source").as_string(), "file");
  EXPECT_EQ(before.at("last_reload").at("result").as_string(), "success");
  EXPECT_EQ(id.at("serial").as_string(), pair.inbound->contexts()->serial_hex);

  pki.leaf("backend", kBackendId, {"backend.local"});  // rewrites backend.crt/.key in place
  ASSERT_TRUE(pair.inbound->reload().ok);
  const auto after = boost::json::parse(http_get(pair.inbound->admin_port(), "/certs").body);
  EXPECT_NE(after.at("identity").at("serial"), id.at("serial"));
  EXPECT_EQ(after.at("identity").at("serial").as_string(), pair.inbound->contexts()->serial_hex);
}

TEST(Admin, ReadyIsFalseBeforeStartTrueWhenServingAnd503WhenDraining) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  config::Config c = base_config(pki, pki.leaf("backend", kBackendId, {"backend.local"}));
  c.limits.drain_delay = std::chrono::seconds(5);
  c.inbound.push_back(inbound_listener(backend.port()));
  proxy::Sidecar sidecar(std::move(c));
  std::string why;
  EXPECT_FALSE(sidecar.ready(why));
  EXPECT_EQ(why, "identity not loaded");
  sidecar.start();
  EXPECT_EQ(http_get(sidecar.admin_port(), "/ready").status, 200);
  EXPECT_EQ(http_get(sidecar.admin_port(), "/healthz").status, 200);
  sidecar.request_drain();
  HttpReply r;
  for (int i = 0; i < 100 && r.status != 503; ++i) r = http_get(sidecar.admin_port(), "/ready");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: draining\n");
  EXPECT_EQ(http_get(sidecar.admin_port(), "/healthz").status, 200);  // alive while draining
}

}  // namespace
}  // namespace mtls::test
