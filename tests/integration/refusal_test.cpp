// Every refusal of the demo, each with the reason it was refused (metric label and log line) and,
// where TLS gives one, the alert the peer received.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "proxy/demo/tls_probe.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

constexpr const char* kRequest = "hello";

class Refusal : public ::testing::Test {
 protected:
  Refusal() : backend_(Backend::Mode::echo), pair_(pki_, backend_.port()) {}

  proxy::ProbeOptions probe(const TestPki::Files* client, const std::string& ca) {
    proxy::ProbeOptions o;
    o.port = pair_.inbound_port();
    o.ca_file = ca;
    if (client) {
      o.cert_file = client->cert;
      o.key_file = client->key;
    }
    o.server_name = "backend.local";
    o.half_close = true;  // the echo backend answers, then closes once it sees our end
    return o;
  }

  // The inbound's count of failed handshakes with `reason` (waits for the worker to record it).
  double failures(const std::string& reason) {
    double v = 0;
    for (int i = 0; i < 200; ++i) {
      v = sample(pair_.inbound->metrics().serialize(), "mtls_handshakes_total",
                 {{"result", "failure"}, {"reason", reason}});
      if (v > 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return v;
  }

  LogCapture logs_;
  TestPki pki_;
  Backend backend_;
  SidecarPair pair_;
};

TEST_F(Refusal, AcceptsTheAllowedClientAsAControl) {
  const proxy::ProbeResult r = proxy::tls_probe(probe(&pair_.frontend, pki_.ca_bundle()), kRequest);
  EXPECT_TRUE(r.handshake_ok) << r.error;
  EXPECT_EQ(r.reply, kRequest);
  EXPECT_EQ(r.tls_version, "TLSv1.3");
  EXPECT_EQ(r.server_identity, kBackendId);
}

TEST_F(Refusal, RefusesAClientWithoutCertificate) {
  const proxy::ProbeResult r = proxy::tls_probe(probe(nullptr, pki_.ca_bundle()), kRequest);
  EXPECT_TRUE(r.reply.empty());
  EXPECT_EQ(r.alert, "certificate required");
  EXPECT_EQ(failures("no_peer_cert"), 1);
  EXPECT_NE(logs_.wait_for({"\"listener\":\"in\"", "\"reason\":\"no_peer_cert\""}), "");
}

TEST_F(Refusal, RefusesAClientFromAnotherCa) {
  TestPki rogue = pki_.other_ca("rogue CA");
  const TestPki::Files files = rogue.leaf("rogue", kFrontendId, {});
  const proxy::ProbeResult r = proxy::tls_probe(probe(&files, pki_.ca_bundle()), kRequest);
  EXPECT_TRUE(r.reply.empty());
  EXPECT_EQ(r.alert, "unknown CA");
  EXPECT_EQ(failures("unknown_ca"), 1);
  // Who tried, marked as a claim: nothing vouches for a name from an unknown CA.
  EXPECT_NE(logs_.wait_for({"\"reason\":\"unknown_ca\"",
                            "\"peer\":\"" + std::string(kFrontendId) + " (unverified)\""}),
            "");
}

TEST_F(Refusal, LogsTheUnverifiedDnsNameOfAnExpiredClientWithoutSpiffeId) {
  const TestPki::Files files = pki_.leaf("expired-dns", "", {"legacy.example"},
                                         std::chrono::hours(1), -std::chrono::hours(2));
  const proxy::ProbeResult r = proxy::tls_probe(probe(&files, pki_.ca_bundle()), kRequest);
  EXPECT_TRUE(r.reply.empty());
  EXPECT_EQ(failures("expired"), 1);
  // PeerIdentity::display() escapes it (PeerIdentityDisplay tests), as any name from a certificate.
  EXPECT_NE(logs_.wait_for({"\"reason\":\"expired\"", "\"peer\":\"legacy.example (unverified)\""}),
            "");
}

TEST_F(Refusal, RefusesAnExpiredClientCertificate) {
  const TestPki::Files files =
      pki_.leaf("expired", kFrontendId, {}, std::chrono::hours(1), -std::chrono::hours(2));
  const proxy::ProbeResult r = proxy::tls_probe(probe(&files, pki_.ca_bundle()), kRequest);
  EXPECT_TRUE(r.reply.empty());
  EXPECT_EQ(r.alert, "certificate expired");
  EXPECT_EQ(failures("expired"), 1);
}

TEST_F(Refusal, RefusesASpiffeIdNotOnTheAllowList) {
  const TestPki::Files files =
      pki_.leaf("intruder", "spiffe://test.local/ns/default/sa/intruder", {});
  const proxy::ProbeResult r = proxy::tls_probe(probe(&files, pki_.ca_bundle()), kRequest);
  EXPECT_TRUE(r.reply.empty());
  EXPECT_FALSE(r.alert.empty());
  EXPECT_EQ(failures("identity_denied"), 1);
  EXPECT_NE(logs_.wait_for({"\"reason\":\"identity_denied\"", "sa/intruder"}), "");
  EXPECT_EQ(backend_.connections(), 0);  // nothing reached the service
}

TEST_F(Refusal, RefusesATls11ClientWithProtocolVersionAlert) {
  proxy::ProbeOptions o = probe(&pair_.frontend, pki_.ca_bundle());
  o.min_version = TLS1_1_VERSION;
  o.max_version = TLS1_1_VERSION;
  const proxy::ProbeResult r = proxy::tls_probe(o, kRequest);
  EXPECT_FALSE(r.handshake_ok);
  EXPECT_EQ(r.alert, "protocol version");
  EXPECT_EQ(failures("protocol_version"), 1);
}

TEST_F(Refusal, RefusesAPlaintextClient) {
  proxy::ProbeOptions o = probe(nullptr, "");
  const proxy::ProbeResult r = proxy::plain_probe(o, "GET / HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(r.reply.find("HTTP/1") == std::string::npos);
  EXPECT_EQ(failures("plaintext"), 1);
  EXPECT_EQ(failures("protocol_version"), 0);
  EXPECT_EQ(backend_.connections(), 0);
}

TEST(OutboundRefusal, ClosesTheAppConnectionWhenTheServerHasTheWrongIdentity) {
  LogCapture logs;
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  // A second outbound sidecar that expects someone else behind the inbound port.
  config::Config c = base_config(pki, pair.frontend);
  c.outbound.push_back(
      outbound_listener(pair.inbound_port(), {"spiffe://test.local/ns/default/sa/orders"}));
  proxy::Sidecar wrong(std::move(c));
  wrong.start();

  const PlainExchange x = plain_exchange(wrong.port("out"), "secret");
  EXPECT_TRUE(x.connected);
  EXPECT_TRUE(x.reply.empty());
  EXPECT_EQ(backend.connections(), 0);
  EXPECT_NE(
      logs.wait_for({"\"direction\":\"outbound\"", "\"reason\":\"identity_denied\"", kBackendId}),
      "");
  EXPECT_EQ(sample(wrong.metrics().serialize(), "mtls_handshakes_total",
                   {{"direction", "outbound"}, {"reason", "identity_denied"}}),
            1);
}

}  // namespace
}  // namespace mtls::test
