// Interoperability with the `openssl` command line: material it makes loads here, and material we
// make passes its checks, so the certs layer is not only tested against itself.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "certs/local_ca.hpp"
#include "certs/peer_identity.hpp"
#include "certs/pem.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kLeafExtensions =
    "subjectAltName=URI:spiffe://cli.test/ns/default/sa/web,DNS:web.cli.test,DNS:Web.Example\n"
    "extendedKeyUsage=serverAuth,clientAuth\n"
    "keyUsage=critical,digitalSignature\n"
    "basicConstraints=critical,CA:FALSE\n";

constexpr const char* kCaConfig =
    "[ca]\ndefault_ca = local\n"
    "[local]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\n"
    "default_crl_days = 1\n";

class OpenSslCli : public ::testing::Test {
 protected:
  test::TestPki pki_;  // for its temp directory and, in the reverse direction, its CA

  std::string path(const std::string& name) const { return pki_.dir() + "/" + name; }

  // Runs `command` in the temp directory; on failure the message carries openssl's output.
  ::testing::AssertionResult sh(const std::string& command) const {
    const std::string full = "cd '" + pki_.dir() + "' && { " + command + "; } >cli.log 2>&1";
    if (std::system(full.c_str()) == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << command << "\n" << read_file(path("cli.log"));
  }

  // cli-ca.{crt,key} and leaf.{crt,key}, both P-256, the leaf with kLeafExtensions.
  ::testing::AssertionResult make_cli_pki() const {
    write_file(path("ext.cnf"), kLeafExtensions, 0644);
    for (const char* command : {
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
             " -keyout cli-ca.key -out cli-ca.crt -days 2 -subj '/CN=cli CA'"
             " -addext basicConstraints=critical,CA:TRUE"
             " -addext keyUsage=critical,keyCertSign,cRLSign",
             "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
             " -keyout leaf.key -out leaf.csr -subj '/CN=web'",
             "openssl x509 -req -in leaf.csr -CA cli-ca.crt -CAkey cli-ca.key -CAcreateserial"
             " -days 1 -sha256 -extfile ext.cnf -out leaf.crt",
             "cat leaf.crt cli-ca.crt > chain.pem",
         }) {
      if (auto result = sh(command); !result) return result;
    }
    return ::testing::AssertionSuccess();
  }
};

TEST_F(OpenSslCli, LeafMadeByOpensslLoadsAndYieldsItsIdentity) {
  ASSERT_TRUE(make_cli_pki());
  const std::vector<X509Ptr> chain = load_certificates(path("chain.pem"));
  ASSERT_EQ(chain.size(), 2u);
  const EvpPkeyPtr key = load_private_key(path("leaf.key"));
  EXPECT_EQ(X509_check_private_key(chain[0].get(), key.get()), 1);

  const PeerIdentity peer = extract_identity(chain[0].get());
  EXPECT_THAT(peer.uris, ElementsAre("spiffe://cli.test/ns/default/sa/web"));
  EXPECT_THAT(peer.dns_names, ElementsAre("web.cli.test", "Web.Example"));
  EXPECT_EQ(peer.common_name, "web");
  EXPECT_EQ(peer.spiffe_id(), "spiffe://cli.test/ns/default/sa/web");
  config::PeerPolicy by_domain;
  by_domain.trust_domains = {"cli.test"};
  EXPECT_TRUE(authorize(peer, by_domain).allowed);
  config::PeerPolicy by_dns;
  by_dns.dns_names = {"web.example"};  // the certificate says Web.Example
  EXPECT_TRUE(authorize(peer, by_dns).allowed);

  EXPECT_EQ(test::verify_error(chain[0].get(), chain[1].get(), X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  EXPECT_EQ(test::verify_error(chain[0].get(), chain[1].get(), X509_PURPOSE_SSL_SERVER), X509_V_OK);
}

TEST_F(OpenSslCli, KeyFormatsWrittenByOpensslAllLoad) {
  ASSERT_TRUE(make_cli_pki());
  ASSERT_TRUE(
      sh("openssl pkcs8 -topk8 -in leaf.key -v2 aes-256-cbc -passout pass:secret"
         " -out pkcs8-enc.key"));
  ASSERT_TRUE(sh("openssl ec -in leaf.key -out sec1.key"));
  ASSERT_TRUE(sh("openssl ec -in leaf.key -aes256 -passout pass:secret -out sec1-enc.key"));
  ASSERT_TRUE(sh("openssl genrsa -traditional -out rsa.key 2048"));
  EXPECT_THAT(read_file(path("sec1.key")), HasSubstr("BEGIN EC PRIVATE KEY"));
  EXPECT_THAT(read_file(path("sec1-enc.key")), HasSubstr("Proc-Type: 4,ENCRYPTED"));
  EXPECT_THAT(read_file(path("rsa.key")), HasSubstr("BEGIN RSA PRIVATE KEY"));

  const EvpPkeyPtr plain = load_private_key(path("leaf.key"));
  EXPECT_EQ(EVP_PKEY_eq(load_private_key(path("pkcs8-enc.key"), "secret").get(), plain.get()), 1);
  EXPECT_EQ(EVP_PKEY_eq(load_private_key(path("sec1.key")).get(), plain.get()), 1);
  EXPECT_EQ(EVP_PKEY_eq(load_private_key(path("sec1-enc.key"), "secret").get(), plain.get()), 1);
  EXPECT_TRUE(EVP_PKEY_is_a(load_private_key(path("rsa.key")).get(), "RSA"));
  for (const char* name : {"pkcs8-enc.key", "sec1-enc.key"}) {
    EXPECT_THROW(load_private_key(path(name), "wrong"), std::runtime_error) << name;
    EXPECT_THROW(load_private_key(path(name)), std::runtime_error) << name;
  }
}

TEST_F(OpenSslCli, CrlMadeByOpensslLoadsAndVerifies) {
  ASSERT_TRUE(make_cli_pki());
  write_file(path("ca.cnf"), kCaConfig, 0644);
  write_file(path("index.txt"), "", 0644);
  write_file(path("crlnumber"), "01\n", 0644);
  ASSERT_TRUE(
      sh("openssl ca -config ca.cnf -gencrl -keyfile cli-ca.key -cert cli-ca.crt"
         " -out crl.pem"));
  const std::vector<X509CrlPtr> crls = load_crls(path("crl.pem"));
  ASSERT_EQ(crls.size(), 1u);
  const X509Ptr ca = std::move(load_certificates(path("cli-ca.crt")).front());
  EXPECT_EQ(X509_CRL_verify(crls[0].get(), X509_get0_pubkey(ca.get())), 1);
}

TEST_F(OpenSslCli, OpensslAcceptsWhatTheLocalCaIssues) {
  const IssuedCertificate leaf =
      pki_.ca().issue(test::leaf_request("spiffe://demo.local/ns/default/sa/web", {"web"}));
  write_issued(path("out"), leaf, pki_.ca().certificate(), "key-pass");
  write_file(path("leaf.crt"), to_pem(leaf.cert.get()), 0644);
  EXPECT_TRUE(sh("openssl verify -CAfile ca.crt -purpose sslclient leaf.crt"));
  EXPECT_TRUE(sh("openssl verify -CAfile ca.crt -purpose sslserver leaf.crt"));
  EXPECT_TRUE(sh("openssl pkey -in out/tls.key -passin pass:key-pass -noout"));
  EXPECT_FALSE(sh("openssl pkey -in out/tls.key -passin pass:wrong -noout"));
  ASSERT_TRUE(sh("openssl x509 -in leaf.crt -noout -ext subjectAltName > san.txt"));
  EXPECT_THAT(read_file(path("san.txt")),
              HasSubstr("URI:spiffe://demo.local/ns/default/sa/web, DNS:web"));
}

}  // namespace
}  // namespace mtls::certs
