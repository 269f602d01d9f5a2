// SPIFFE IDs are bound to their trust domain's roots (trust.ca_bundle: ours; trust.domains:
// federated partners'), with real handshakes: a partner CA that mints an ID of our domain is
// refused even when trusted, its own domain's IDs are admitted once trust.domains lists it, and
// a rotation bundle (two roots of our domain) admits the leaves of both. (A partner root put in
// trust.ca_bundle is, by that, a root of our domain: the bundle cannot say otherwise.)
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "certs/pem.hpp"
#include "proxy/demo/tls_probe.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

const std::string kPartnerDomain = "partner.example";
const std::string kPartnerId = "spiffe://partner.example/ns/default/sa/web";

class TrustDomains : public ::testing::Test {
 protected:
  TrustDomains() : backend_(Backend::Mode::echo), partner_(pki_.other_ca("partner CA")) {}

  // An inbound sidecar (our identity kBackendId) allowing exactly `allowed`, trusting
  // `ca_bundle` as our own domain's roots and `domains` as trust.domains.
  void start(const std::string& ca_bundle, std::vector<config::TrustDomainBundle> domains,
             std::vector<std::string> allowed) {
    config::Config c = base_config(pki_, pki_.leaf("backend", kBackendId, {"backend.local"}));
    c.trust.ca_bundle = ca_bundle;
    c.trust.domains = std::move(domains);
    c.inbound.push_back(inbound_listener(backend_.port(), std::move(allowed)));
    inbound_ =
        std::make_unique<proxy::Sidecar>(std::move(c), proxy::SidecarOptions{.admin = false});
    inbound_->start();
  }

  // pki_'s root and `other`'s in one file: "both CAs trusted" as one bundle.
  std::string bundle_with(const TestPki& other) {
    const std::string path = pki_.dir() + "/both.crt";
    certs::write_file(
        path, certs::to_pem(pki_.ca().certificate()) + certs::to_pem(other.ca().certificate()),
        0644);
    return path;
  }

  proxy::ProbeResult offer(const TestPki::Files& client) {
    proxy::ProbeOptions o;
    o.port = inbound_->port("in");
    o.ca_file = pki_.ca_bundle();
    o.cert_file = client.cert;
    o.key_file = client.key;
    o.server_name = "backend.local";
    o.half_close = true;
    return proxy::tls_probe(o, "ping");
  }

  double counted(const std::string& result, const std::string& reason, double want) {
    return wait_sample(*inbound_, "mtls_handshakes_total", {{"result", result}, {"reason", reason}},
                       want);
  }

  LogCapture logs_;
  TestPki pki_;
  Backend backend_;
  TestPki partner_;
  std::unique_ptr<proxy::Sidecar> inbound_;
};

TEST_F(TrustDomains, RefusesOurDomainsIdFromAFederatedPartnerRoot) {
  // Both CAs trusted: ours as trust.ca_bundle, the partner's for partner.example.
  start(pki_.ca_bundle(), {{kPartnerDomain, partner_.ca_bundle()}}, {kFrontendId});
  ASSERT_EQ(offer(pki_.leaf("frontend", kFrontendId, {})).reply, "ping")
      << "our own CA's frontend must pass";

  const proxy::ProbeResult r = offer(partner_.leaf("forged", kFrontendId, {}));
  EXPECT_TRUE(r.reply.empty());
  EXPECT_FALSE(r.alert.empty());
  EXPECT_EQ(counted("failure", "identity_denied", 1), 1);
  EXPECT_NE(logs_.wait_for({"\"reason\":\"identity_denied\"",
                            "chains to a root of partner.example, not of test.local"}),
            "")
      << "the log says which domain's root the ID came from";
  EXPECT_EQ(backend_.connections(), 1);  // the control only
}

TEST_F(TrustDomains, AdmitsAPartnerIdFromItsRootOnlyWhenTrustDomainsListsIt) {
  start(pki_.ca_bundle(), {{kPartnerDomain, partner_.ca_bundle()}}, {kFrontendId, kPartnerId});
  EXPECT_EQ(offer(partner_.leaf("partner", kPartnerId, {})).reply, "ping");
  // Our own root cannot vouch for the partner's domain either.
  EXPECT_TRUE(offer(pki_.leaf("forged-partner", kPartnerId, {})).reply.empty());
  EXPECT_EQ(counted("failure", "identity_denied", 1), 1);
  EXPECT_EQ(counted("success", "ok", 1), 1);
}

TEST_F(TrustDomains, ATrustDomainsFileIsWatchedAndReloadedLikeTheBundle) {
  // The partner's file first holds another root: its workloads do not chain to anything.
  const TestPki stranger = pki_.other_ca("stranger CA");
  const std::string partner_file = pki_.dir() + "/partner.pem";
  certs::write_file(partner_file, certs::to_pem(stranger.ca().certificate()), 0644);
  start(pki_.ca_bundle(), {{kPartnerDomain, partner_file}}, {kPartnerId});
  const TestPki::Files partner = partner_.leaf("partner", kPartnerId, {});
  EXPECT_TRUE(offer(partner).reply.empty());
  EXPECT_EQ(counted("failure", "unknown_ca", 1), 1);

  const std::string digest = inbound_->contexts()->trust_digest;
  certs::write_file(partner_file, certs::to_pem(partner_.ca().certificate()), 0644);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (inbound_->contexts()->trust_digest == digest &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(inbound_->contexts()->trust_digest, digest)
      << "the trust.domains file was not reloaded";
  EXPECT_EQ(offer(partner).reply, "ping");
}

TEST_F(TrustDomains, PartnerRootInTheBundleVouchesOnlyForOurDomain) {
  // Without trust.domains the bundle's roots are ours: a partner ID from them is refused.
  start(bundle_with(partner_), {}, {kFrontendId, kPartnerId});
  EXPECT_TRUE(offer(partner_.leaf("partner", kPartnerId, {})).reply.empty());
  EXPECT_EQ(counted("failure", "identity_denied", 1), 1);
}

TEST_F(TrustDomains, RotationBundleAdmitsLeavesOfBothRootsOfOurDomain) {
  TestPki next = pki_.other_ca("next test CA");
  start(bundle_with(next), {}, {kFrontendId});
  EXPECT_EQ(offer(pki_.leaf("old", kFrontendId, {})).reply, "ping");
  EXPECT_EQ(offer(next.leaf("new", kFrontendId, {})).reply, "ping");
  EXPECT_EQ(counted("success", "ok", 2), 2);
}

TEST_F(TrustDomains, DnsIdentitiesVerifyAgainstEveryConfiguredRoot) {
  config::Config c = base_config(pki_, pki_.leaf("backend", kBackendId, {"backend.local"}));
  c.trust.domains = {{kPartnerDomain, partner_.ca_bundle()}};
  config::InboundListener l = inbound_listener(backend_.port(), {});
  l.allow.dns_names = {"web.partner.example"};
  c.inbound.push_back(l);
  inbound_ = std::make_unique<proxy::Sidecar>(std::move(c), proxy::SidecarOptions{.admin = false});
  inbound_->start();
  EXPECT_EQ(offer(partner_.leaf("dns", "", {"web.partner.example"})).reply, "ping");
}

// The CN is consulted only for certificates without SANs (RFC 6125): a workload whose SPIFFE ID
// ends in "orders" is not the "orders" of common_names.
TEST_F(TrustDomains, CommonNamesDoNotAdmitACertificateWithSans) {
  config::Config c = base_config(pki_, pki_.leaf("backend", kBackendId, {"backend.local"}));
  config::InboundListener l = inbound_listener(backend_.port(), {});
  l.allow.common_names = {"orders"};
  c.inbound.push_back(l);
  inbound_ = std::make_unique<proxy::Sidecar>(std::move(c), proxy::SidecarOptions{.admin = false});
  inbound_->start();
  EXPECT_TRUE(offer(pki_.leaf("evil", "spiffe://test.local/ns/evil/sa/orders", {})).reply.empty());
  // The same with a CN "orders" that the DNS SAN put there.
  EXPECT_TRUE(offer(pki_.leaf("evil-dns", "spiffe://test.local/ns/evil/sa/orders", {"orders"}))
                  .reply.empty());
  EXPECT_EQ(counted("failure", "identity_denied", 2), 2);
  EXPECT_EQ(backend_.connections(), 0);
}

}  // namespace
}  // namespace mtls::test
