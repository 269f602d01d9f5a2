// certs/tls_policy: each value is tried on a scratch context, so a name the OpenSSL in use does
// not know is reported at its own field, even inside a list OpenSSL would accept as a whole.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "certs/load_error.hpp"
#include "certs/openssl_ptr.hpp"
#include "certs/tls_policy.hpp"

namespace mtls::certs {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(TlsPolicyCheck, AcceptsTheDefaultsAndKnownNames) {
  EXPECT_THAT(check_tls_policy({}), IsEmpty());
  config::TlsConfig p;
  p.cipher_suites = "ECDHE+AESGCM:!aNULL";
  p.tls13_cipher_suites = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256";
  p.groups = {"X25519", "P-256", "P-384"};
  p.signature_algorithms = {"ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256", "ed25519"};
  EXPECT_THAT(check_tls_policy(p), IsEmpty());
}

TEST(TlsPolicyCheck, ReportsEachUnknownNameAtItsField) {
  config::TlsConfig p;
  p.cipher_suites = "ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256";
  p.tls13_cipher_suites = "TLS_AES_128_GCM_SHA256:TLS_AES_512_GCM";  // accepted as a whole
  p.groups = {"X25519", "brainpool"};
  p.signature_algorithms = {"ecdsa_md5"};
  const std::vector<PolicyProblem> problems = check_tls_policy(p);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].field, "tls.cipher_suites");
  EXPECT_THAT(problems[0].message, HasSubstr("a TLS 1.3 suite: list it in tls13_cipher_suites"));
  EXPECT_EQ(problems[1].field, "tls.tls13_cipher_suites");
  EXPECT_THAT(problems[1].message, HasSubstr("unknown TLS 1.3 suite \"TLS_AES_512_GCM\""));
  EXPECT_EQ(problems[2].field, "tls.groups[1]");
  EXPECT_EQ(problems[3].field, "tls.signature_algorithms[0]");
}

TEST(TlsPolicyCheck, SaysWhichOpenSslHybridMlKemNeeds) {
  config::TlsConfig p;
  p.groups = {"X25519", "X25519MLKEM768"};
  const std::vector<PolicyProblem> problems = check_tls_policy(p);
  if (OPENSSL_VERSION_NUMBER >= 0x30500000L) {
    EXPECT_THAT(problems, IsEmpty());  // supported: accepted
    return;
  }
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "tls.groups[1]");
  EXPECT_THAT(problems[0].message, HasSubstr("X25519MLKEM768 (hybrid ML-KEM) needs OpenSSL 3.5"));
}

TEST(TlsPolicyCheck, AppliesVersionsToTheContext) {
  config::TlsConfig p;
  p.min_version = "1.3";
  SslCtxPtr ctx(SSL_CTX_new(TLS_method()));
  apply_tls_policy(ctx.get(), p);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx.get()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx.get()), TLS1_3_VERSION);
  p.groups = {"nonsense"};
  try {
    apply_tls_policy(ctx.get(), p);
    FAIL() << "applied";
  } catch (const LoadError& e) {
    EXPECT_EQ(e.field(), "tls.groups");
  }
}

}  // namespace
}  // namespace mtls::certs
