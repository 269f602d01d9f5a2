// A TLS peer that completes the handshake, sends data and then closes its socket without
// close_notify: the sidecar relays the FIN, but logs and counts the connection as `truncated`
// (the app cannot tell a complete stream from one cut short). A peer that sends close_notify
// first is logged `ok`.
#include <gtest/gtest.h>

#include "tests/support/inbound_fixture.hpp"

namespace mtls::test {
namespace {

TEST(Truncation, AFinWithoutCloseNotifyIsLoggedAndCountedAsTruncated) {
  LogCapture log;
  InboundFixture f;
  const TestPki::Files client = f.pki.leaf("client", kFrontendId, {});

  const proxy::ProbeResult clean = f.connect(client);
  ASSERT_TRUE(accepted(clean)) << clean.error;
  EXPECT_NE(log.wait_for({"connection_end", "\"result\":\"ok\"", "\"reason\":\"ok\""}), "");

  proxy::ProbeOptions raw = f.options(client);
  const std::string data = "data, then a bare FIN";
  raw.reply_size = data.size();
  raw.close_notify = false;
  const proxy::ProbeResult cut = proxy::tls_probe(raw, data);
  ASSERT_EQ(cut.reply, data) << cut.error;
  const std::string line = log.wait_for({"connection_end", "\"reason\":\"truncated\""});
  EXPECT_NE(line, "") << "a connection without close_notify was not reported";
  EXPECT_NE(line.find("\"result\":\"error\""), std::string::npos) << line;
  EXPECT_TRUE(eventually([&] { return f.handshakes("truncated") == 1; }))
      << f.sidecar->metrics().serialize();
  EXPECT_EQ(f.handshakes("ok"), 2);  // the truncated connection's handshake itself succeeded
}

}  // namespace
}  // namespace mtls::test
