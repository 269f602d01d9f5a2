// Outbound server_name is checked against the server certificate's DNS SANs: with expect
// { any: true } (or trust_domains) any workload of the trust bundle would otherwise answer for
// the name we dialled. verify_server_name: false turns the check off for one listener.
#include <gtest/gtest.h>

#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

class ServerName : public ::testing::Test {
 protected:
  ServerName() : backend_(Backend::Mode::echo) {}

  // The inbound answers as kBackendId with DNS SANs `dns_names`.
  void start_inbound(const std::vector<std::string>& dns_names) {
    config::Config c = base_config(pki_, pki_.leaf("server", kBackendId, dns_names));
    c.inbound.push_back(inbound_listener(backend_.port()));
    inbound_ =
        std::make_unique<proxy::Sidecar>(std::move(c), proxy::SidecarOptions{.admin = false});
    inbound_->start();
  }

  // An outbound dialling the inbound as backend.local, accepting any server of the bundle.
  std::unique_ptr<proxy::Sidecar> outbound(bool verify_server_name) {
    config::Config c = base_config(pki_, pki_.leaf("client", kFrontendId, {}));
    config::OutboundListener l = outbound_listener(inbound_->port("in"), {});
    l.expect.any = true;
    l.verify_server_name = verify_server_name;
    c.outbound.push_back(l);
    auto sidecar =
        std::make_unique<proxy::Sidecar>(std::move(c), proxy::SidecarOptions{.admin = false});
    sidecar->start();
    return sidecar;
  }

  LogCapture logs_;
  TestPki pki_;
  Backend backend_;
  std::unique_ptr<proxy::Sidecar> inbound_;
};

TEST_F(ServerName, AdmitsAServerWhoseDnsSansHoldTheServerName) {
  start_inbound({"other.local", "backend.local"});
  const auto out = outbound(true);
  EXPECT_EQ(plain_exchange(out->port("out"), "ping").reply, "ping");
}

TEST_F(ServerName, RefusesAServerWithoutTheServerNameEvenWithAnyTrue) {
  start_inbound({"other.local"});
  const auto out = outbound(true);
  const PlainExchange x = plain_exchange(out->port("out"), "ping");
  EXPECT_TRUE(x.connected);
  EXPECT_TRUE(x.reply.empty());
  EXPECT_EQ(wait_sample(*out, "mtls_handshakes_total",
                        {{"direction", "outbound"}, {"reason", "identity_denied"}}, 1),
            1);
  EXPECT_NE(logs_.wait_for({"\"direction\":\"outbound\"", "\"reason\":\"identity_denied\"",
                            "hostname mismatch"}),
            "");
  EXPECT_EQ(backend_.connections(), 0);
}

TEST_F(ServerName, VerifyServerNameFalseAdmitsTheServerByExpectAlone) {
  start_inbound({"other.local"});
  const auto out = outbound(false);
  EXPECT_EQ(plain_exchange(out->port("out"), "ping").reply, "ping");
}

}  // namespace
}  // namespace mtls::test
