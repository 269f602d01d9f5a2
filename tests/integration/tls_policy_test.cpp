// The `tls:` policy against a client we did not write: `openssl s_client` connects to an inbound
// sidecar with each setting and reports what was negotiated (or that it was refused).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "certs/pem.hpp"
#include "tests/support/inbound_fixture.hpp"

namespace mtls::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TlsPolicy : public ::testing::Test {
 protected:
  void start(const std::function<void(config::TlsConfig&)>& tweak) {
    fixture_ =
        std::make_unique<InboundFixture>([&](config::Config& c, const TestPki&) { tweak(c.tls); });
    client_ = fixture_->pki.leaf("frontend", kFrontendId, {});
  }

  // What `openssl s_client ARGS` printed, presenting the frontend's certificate.
  std::string s_client(const std::string& args) const {
    const std::string out = fixture_->pki.dir() + "/s_client.out";
    const std::string command = "timeout 10 openssl s_client -connect 127.0.0.1:" +
                                std::to_string(fixture_->sidecar->port("in")) + " -CAfile " +
                                fixture_->pki.ca_bundle() + " -cert " + client_.cert + " -key " +
                                client_.key + " " + args + " </dev/null >" + out + " 2>&1";
    std::system(command.c_str());  // its exit status says little; its report says what happened
    return certs::read_file(out);
  }

  std::unique_ptr<InboundFixture> fixture_;
  TestPki::Files client_;
};

TEST_F(TlsPolicy, IntermediateServesTls12AndPrefersAes128OnTls13) {
  start([](config::TlsConfig&) {});
  EXPECT_THAT(s_client("-tls1_2"), HasSubstr("New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM"));
  // s_client offers OpenSSL's order (AES-256 first); the server's preference decides.
  EXPECT_THAT(s_client("-tls1_3"), HasSubstr("New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256"));
}

TEST_F(TlsPolicy, ModernRefusesATls12Client) {
  start([](config::TlsConfig& t) {
    t.profile = config::TlsProfile::modern;
    t.min_version = "1.3";
  });
  const std::string refused = s_client("-tls1_2");
  EXPECT_THAT(refused, HasSubstr("alert protocol version"));
  EXPECT_THAT(refused, Not(HasSubstr("New, TLSv1.2")));
  EXPECT_GE(fixture_->handshakes("protocol_version"), 1);
  EXPECT_THAT(s_client("-tls1_3"), HasSubstr("New, TLSv1.3"));
}

TEST_F(TlsPolicy, MaxVersionKeepsTls13Out) {
  start([](config::TlsConfig& t) { t.max_version = "1.2"; });
  EXPECT_THAT(s_client(""), HasSubstr("New, TLSv1.2, Cipher is"));
  EXPECT_THAT(s_client("-tls1_3"), HasSubstr("alert protocol version"));
}

TEST_F(TlsPolicy, UsesTheConfiguredSuitesGroupsAndSignatureAlgorithms) {
  start([](config::TlsConfig& t) {
    t.cipher_suites = "ECDHE-ECDSA-CHACHA20-POLY1305";
    t.tls13_cipher_suites = "TLS_CHACHA20_POLY1305_SHA256";
    t.groups = {"P-256"};
    t.signature_algorithms = {"ecdsa_secp256r1_sha256"};
  });
  const std::string tls13 = s_client("-tls1_3");
  EXPECT_THAT(tls13, HasSubstr("New, TLSv1.3, Cipher is TLS_CHACHA20_POLY1305_SHA256"));
  EXPECT_THAT(tls13, HasSubstr("Server Temp Key: ECDH, prime256v1"));
  EXPECT_THAT(tls13, HasSubstr("Peer signing digest: SHA256"));
  EXPECT_THAT(s_client("-tls1_2"), HasSubstr("Cipher is ECDHE-ECDSA-CHACHA20-POLY1305"));
  // A client with none of the groups, or none of the signature algorithms, is refused.
  EXPECT_THAT(s_client("-tls1_3 -groups X25519"), Not(HasSubstr("New, TLSv1.3")));
  EXPECT_THAT(s_client("-tls1_3 -sigalgs ecdsa_secp384r1_sha384"), Not(HasSubstr("New, TLSv1.3")));
}

}  // namespace
}  // namespace mtls::test
