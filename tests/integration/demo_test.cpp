// `mtls-sidecar demo` keeps passing, and the two helpers it is built from behave: WireTap
// records both directions of every connection, tls_probe's half-close still gets the whole reply.
#include "proxy/demo/demo.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "proxy/demo/tls_probe.hpp"
#include "proxy/demo/wire_tap.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

proxy::ProbeOptions probe_to(std::uint16_t port) {
  proxy::ProbeOptions o;
  o.port = port;
  o.half_close = true;  // the echo backend answers until it sees our end, then closes
  o.timeout = std::chrono::seconds(10);
  return o;
}

// The temp dir the report names: "... in /tmp/mtls-demo-XXXXXX, deleted at the end."
std::string demo_dir(const std::string& report) {
  const std::size_t at = report.find("/tmp/mtls-demo-");
  return at == std::string::npos ? "" : report.substr(at, report.find(',', at) - at);
}

TEST(Demo, EveryStepBehavesAsExpectedInUnderFiveSeconds) {
  const auto start = std::chrono::steady_clock::now();
  testing::internal::CaptureStdout();
  const int rc = proxy::run_demo();
  const std::string report = testing::internal::GetCapturedStdout();
  const auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(rc, 0) << report;
  EXPECT_NE(report.find("all 5 steps behaved as expected"), std::string::npos) << report;
  EXPECT_EQ(report.find("✘"), std::string::npos) << report;
  EXPECT_LT(elapsed, std::chrono::seconds(5)) << report;
}

TEST(Demo, RemovesItsTemporaryDirectoryWithTheCaKey) {
  testing::internal::CaptureStdout();
  proxy::run_demo();
  const std::string dir = demo_dir(testing::internal::GetCapturedStdout());
  ASSERT_FALSE(dir.empty());
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

TEST(WireTap, RecordsBothDirectionsOfEachOfManyConnections) {
  Backend echo(Backend::Mode::echo);
  proxy::WireTap tap("127.0.0.1", echo.port());
  std::string expected;
  for (const std::string message : {"first", "second", "third"}) {
    const proxy::ProbeResult r = proxy::plain_probe(probe_to(tap.port()), message);
    EXPECT_EQ(r.reply, message) << r.error;
    EXPECT_TRUE(r.eof);
    expected += message + message;  // sent, then echoed
  }
  EXPECT_EQ(tap.recorded(), expected);
  EXPECT_EQ(tap.connections(), 3u);
}

TEST(TlsProbe, HalfClosedClientStillReceivesTheWholeReplyAndTheTapSeesOnlyTls) {
  LogCapture logs;
  TestPki pki;
  Backend echo(Backend::Mode::echo);
  SidecarPair pair(pki, echo.port());
  proxy::WireTap tap("127.0.0.1", pair.inbound_port());
  const std::string payload = random_bytes(64 * 1024, 7);  // several TLS records each way

  proxy::ProbeOptions o = probe_to(tap.port());
  o.ca_file = pki.ca_bundle();
  o.cert_file = pair.frontend.cert;
  o.key_file = pair.frontend.key;
  o.server_name = "backend.local";
  const proxy::ProbeResult r = proxy::tls_probe(o, payload);

  ASSERT_TRUE(r.handshake_ok) << r.error;
  EXPECT_EQ(r.reply.size(), payload.size()) << r.error;
  EXPECT_TRUE(r.reply == payload);
  EXPECT_TRUE(r.eof) << "the inbound sidecar should end with close_notify";
  EXPECT_TRUE(r.alert.empty()) << r.alert;
  EXPECT_EQ(r.server_identity, kBackendId);
  EXPECT_FALSE(r.refused());

  const std::string wire = tap.recorded();
  ASSERT_GT(wire.size(), 2 * payload.size());
  EXPECT_EQ(wire.substr(0, 2), std::string("\x16\x03", 2));
  EXPECT_EQ(wire.find(payload.substr(0, 64)), std::string::npos);
}

}  // namespace
}  // namespace mtls::test
