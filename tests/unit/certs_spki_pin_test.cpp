// SPKI pins (outbound expect.spki_sha256): the digest is the one the documented openssl command
// prints, it names a key rather than a certificate, and a resumed handshake, which verifies no
// chain and runs no verify callback, is still held to the pins.
#include <gtest/gtest.h>

#include <cstdlib>

#include "certs/peer_check.hpp"
#include "certs/pem.hpp"
#include "certs/spki_pin.hpp"
#include "certs/tls_contexts.hpp"
#include "tests/support/memory_tls.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

TEST(SpkiPin, IsWhatTheDocumentedOpensslCommandPrints) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI";
  test::TestPki pki;
  const test::TestPki::Files files = pki.leaf("server", "spiffe://test.local/sa/api", {});
  const std::string out = pki.dir() + "/pin.txt";
  const std::string command = "openssl x509 -in '" + files.cert +
                              "' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst "
                              "-sha256 -binary | base64 > '" +
                              out + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::string expected = read_file(out);
  while (!expected.empty() && (expected.back() == '\n' || expected.back() == '\r'))
    expected.pop_back();
  ASSERT_EQ(expected.size(), 44u);
  EXPECT_EQ(spki_sha256_base64(load_certificates(files.cert).at(0).get()), expected);
}

TEST(SpkiPin, NamesTheKeyNotTheCertificate) {
  const LocalCa ca = LocalCa::generate("pin test CA");
  const IssuedCertificate first = ca.issue(test::leaf_request("spiffe://t/sa/api"));
  const X509Ptr same_key = ca.certify(test::leaf_request("spiffe://t/sa/api"), first.key.get());
  const IssuedCertificate new_key = ca.issue(test::leaf_request("spiffe://t/sa/api"));
  const std::string pin = spki_sha256_base64(first.cert.get());
  EXPECT_EQ(spki_refusal(same_key.get(), {pin}), std::nullopt);
  const std::optional<Verdict> refused = spki_refusal(new_key.cert.get(), {pin});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, "spki_mismatch");
  EXPECT_NE(refused->detail.find(spki_sha256_base64(new_key.cert.get())), std::string::npos)
      << "the log detail names the key seen: " << refused->detail;
  EXPECT_EQ(spki_refusal(new_key.cert.get(), {}), std::nullopt) << "no pins: no second factor";
}

// A session made under no pins, offered under pins its server's key is not in: OpenSSL resumes it
// (tickets carry no pins), and the client's check refuses it all the same.
TEST(SpkiPin, AResumedSessionIsHeldToTheCurrentPins) {
  const LocalCa ca = LocalCa::generate("pin test CA");
  CertificateBundle b;
  IssuedCertificate leaf = ca.issue(test::leaf_request("spiffe://t/sa/web", {"web"}));
  const std::string server_pin = spki_sha256_base64(leaf.cert.get());
  b.leaf = std::move(leaf.cert);
  b.key = std::move(leaf.key);
  b.trust.push_back(share(ca.certificate()));
  b.origin = "test";
  const auto contexts =
      make_tls_contexts(b, config::TlsConfig{}, std::make_shared<ServerSessionCache>());

  config::PeerPolicy unpinned;
  unpinned.any = true;
  SslSessionPtr session;
  const test::MemoryExchange full =
      test::exchange_in_memory(contexts->server.get(), contexts->client.get(), unpinned, session);
  ASSERT_TRUE(full.ok);
  ASSERT_EQ(full.client_reason, "ok");

  config::PeerPolicy pinned = unpinned;
  pinned.spki_sha256 = {"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="};
  test::MemoryExchangeOptions as_pinned;
  as_pinned.client_policy = &pinned;
  SslSessionPtr offered(SSL_SESSION_dup(session.get()));
  const test::MemoryExchange wrong = test::exchange_in_memory(
      contexts->server.get(), contexts->client.get(), unpinned, offered, as_pinned);
  EXPECT_TRUE(wrong.resumed) << "the test needs a resumed handshake";
  EXPECT_EQ(wrong.client_reason, "spki_mismatch");

  pinned.spki_sha256.push_back(server_pin);
  offered.reset(SSL_SESSION_dup(session.get()));
  const test::MemoryExchange right = test::exchange_in_memory(
      contexts->server.get(), contexts->client.get(), unpinned, offered, as_pinned);
  EXPECT_TRUE(right.resumed);
  EXPECT_EQ(right.client_reason, "ok");
}

}  // namespace
}  // namespace mtls::certs
