#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "certs/local_ca.hpp"
#include "certs/pem.hpp"
#include "tests/support/certs_test_helpers.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

using test::error_of;
using test::mode_of;
using ::testing::HasSubstr;

class Pem : public ::testing::Test {
 protected:
  test::TestPki pki_;
  std::string path(const std::string& name) const { return pki_.dir() + "/" + name; }
};

TEST_F(Pem, CertificateSurvivesWriteAndParse) {
  const IssuedCertificate leaf = pki_.ca().issue(test::leaf_request("spiffe://t/a"));
  const std::string pem = to_pem(leaf.cert.get()) + to_pem(pki_.ca().certificate());
  const std::vector<X509Ptr> certs = parse_certificates(pem, "chain.pem");
  ASSERT_EQ(certs.size(), 2u);
  EXPECT_EQ(X509_cmp(certs[0].get(), leaf.cert.get()), 0);
  EXPECT_EQ(X509_cmp(certs[1].get(), pki_.ca().certificate()), 0);
}

TEST_F(Pem, PlainKeySurvivesWriteAndParseAndIgnoresAPassphrase) {
  const std::string pem = to_pem(pki_.ca().key());
  EXPECT_THAT(pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(EVP_PKEY_eq(parse_private_key(pem, "k").get(), pki_.ca().key()), 1);
  EXPECT_EQ(EVP_PKEY_eq(parse_private_key(pem, "k", "unused").get(), pki_.ca().key()), 1);
}

TEST_F(Pem, EncryptedKeyOpensOnlyWithTheRightPassphrase) {
  const std::string pem = to_pem(pki_.ca().key(), "s3cret");
  EXPECT_THAT(pem, HasSubstr("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  EXPECT_EQ(EVP_PKEY_eq(parse_private_key(pem, "tls.key", "s3cret").get(), pki_.ca().key()), 1);
  EXPECT_EQ(error_of([&] { parse_private_key(pem, "tls.key", "wrong"); }),
            "tls.key: cannot decrypt private key (wrong or missing passphrase)");
  EXPECT_EQ(error_of([&] { parse_private_key(pem, "tls.key"); }),
            "tls.key: cannot decrypt private key (wrong or missing passphrase)");
}

TEST_F(Pem, EncryptedKeyDerivesItsKeyWithScryptAndSaysWhatDecryptingCosts) {
  const std::string pem = to_pem(pki_.ca().key(), "s3cret");
  BioPtr bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
  X509_SIG* sealed = PEM_read_bio_PKCS8(bio.get(), nullptr, nullptr, nullptr);
  ASSERT_NE(sealed, nullptr);
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(sealed, &alg, nullptr);
  ASSERT_EQ(OBJ_obj2nid(alg->algorithm), NID_pbes2);
  PBE2PARAM* pbe2 =
      static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter));
  ASSERT_NE(pbe2, nullptr);
  EXPECT_EQ(OBJ_obj2nid(pbe2->keyfunc->algorithm), NID_id_scrypt);  // not PBKDF2 x 2048
  PBE2PARAM_free(pbe2);
  X509_SIG_free(sealed);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(EVP_PKEY_eq(parse_private_key(pem, "tls.key", "s3cret").get(), pki_.ca().key()), 1);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ measure  ] decrypting a scrypt (N=%llu, r=%llu) key: %.1f ms\n",
              static_cast<unsigned long long>(kScryptN), static_cast<unsigned long long>(kScryptR),
              ms);
}

TEST_F(Pem, LoadedKeyFileNamesTheFileInErrors) {
  const test::TestPki::Files files =
      pki_.leaf("web", "", {"web"}, std::chrono::hours(1), std::chrono::seconds(0), "pw");
  EXPECT_TRUE(load_private_key(files.key, "pw"));
  EXPECT_EQ(error_of([&] { load_private_key(files.key, "nope"); }),
            files.key + ": cannot decrypt private key (wrong or missing passphrase)");
  EXPECT_EQ(error_of([&] { load_private_key(files.cert); }), files.cert + ": no private key found");
}

TEST_F(Pem, CorruptKeyIsReportedAsMalformedNamingTheFile) {
  std::string pem = to_pem(pki_.ca().key());
  pem.replace(pem.find('\n') + 1, 8, "AAAAAAAA");
  EXPECT_THAT(error_of([&] { parse_private_key(pem, "tls.key"); }),
              HasSubstr("tls.key: malformed private key: "));
}

// A leftover error would be blamed on whatever the thread does next (a worker's next handshake).
TEST_F(Pem, LeavesNoOpenSslErrorBehindOnSuccessOrFailure) {
  const std::string key = to_pem(pki_.ca().key(), "pw");
  const std::string both = to_pem(pki_.ca().certificate()) + to_pem(pki_.ca().key());
  EXPECT_TRUE(parse_private_key(key, "k", "pw"));
  EXPECT_TRUE(parse_private_key(both, "k"));
  EXPECT_EQ(parse_certificates(both, "c").size(), 1u);
  EXPECT_THROW(parse_private_key(key, "k", "bad"), std::runtime_error);
  EXPECT_THROW(parse_certificates("-----BEGIN CERTIFICATE-----\nAAAA\n", "c"), std::runtime_error);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(Pem, KeyAfterACertificateInTheSameFileIsFound) {
  const std::string pem = to_pem(pki_.ca().certificate()) + to_pem(pki_.ca().key());
  EXPECT_EQ(EVP_PKEY_eq(parse_private_key(pem, "both.pem").get(), pki_.ca().key()), 1);
  EXPECT_EQ(parse_certificates(pem, "both.pem").size(), 1u);
}

TEST_F(Pem, FileWithoutCertificatesIsRefused) {
  EXPECT_EQ(error_of([&] { parse_certificates("", "tls.crt"); }), "tls.crt: no certificate found");
  EXPECT_EQ(error_of([&] { parse_certificates(to_pem(pki_.ca().key()), "tls.crt"); }),
            "tls.crt: no certificate found");
}

TEST_F(Pem, CorruptSecondCertificateIsReportedByItsBlockNumber) {
  std::string second = to_pem(pki_.ca().certificate());
  second.replace(second.find('\n') + 1, 4, "AAAA");  // valid base64, no DER SEQUENCE
  const std::string pem = to_pem(pki_.ca().certificate()) + second;
  EXPECT_EQ(error_of([&] { parse_certificates(pem, "tls.crt"); }),
            "tls.crt: malformed certificate at PEM block 2");
}

TEST_F(Pem, TruncatedPemIsRefusedNamingTheFile) {
  const std::string pem = to_pem(pki_.ca().certificate());
  EXPECT_THAT(error_of([&] { parse_certificates(pem.substr(0, pem.size() - 30), "tls.crt"); }),
              HasSubstr("tls.crt: malformed PEM at block 1"));
}

TEST_F(Pem, MissingFileErrorNamesThePathAndTheReason) {
  EXPECT_EQ(error_of([&] { load_certificates(path("absent.crt")); }),
            path("absent.crt") + ": cannot read: No such file or directory");
}

TEST_F(Pem, WriteFileSetsTheModeAndReplacesAtomically) {
  const std::string file = path("data");
  const mode_t old_umask = ::umask(022);
  write_file(file, "first", 0600);
  EXPECT_EQ(mode_of(file), 0600u);
  write_file(file, "second", 0644);
  ::umask(077);  // a strict umask must not strip bits we asked for
  write_file(file + "2", "x", 0644);
  ::umask(old_umask);
  EXPECT_EQ(read_file(file), "second");
  EXPECT_EQ(mode_of(file), 0644u);
  EXPECT_EQ(mode_of(file + "2"), 0644u);
  // No temporary files are left behind.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(pki_.dir())) {
    ++entries;
  }
  EXPECT_EQ(entries, 3u);  // ca.crt, data, data2
}

TEST_F(Pem, WriteFileIntoMissingDirectoryNamesThePath) {
  EXPECT_THAT(error_of([&] { write_file(path("no/such/file"), "x", 0600); }),
              HasSubstr(path("no/such/file") + ": cannot write: No such file or directory"));
}

TEST_F(Pem, PassphraseFileLosesOneTrailingNewlineOnly) {
  write_file(path("p1"), "secret\n", 0600);
  write_file(path("p2"), "secret\r\n", 0600);
  write_file(path("p3"), "secret\n\n", 0600);
  write_file(path("p4"), "secret", 0600);
  EXPECT_EQ(read_passphrase(path("p1"), ""), "secret");
  EXPECT_EQ(read_passphrase(path("p2"), ""), "secret");
  EXPECT_EQ(read_passphrase(path("p3"), ""), "secret\n");
  EXPECT_EQ(read_passphrase(path("p4"), ""), "secret");
}

TEST_F(Pem, PassphraseComesFromTheEnvironmentAndAnUnsetVariableIsAnError) {
  ::setenv("MTLS_TEST_PASSPHRASE", "from-env", 1);
  EXPECT_EQ(read_passphrase("", "MTLS_TEST_PASSPHRASE"), "from-env");
  ::unsetenv("MTLS_TEST_PASSPHRASE");
  EXPECT_EQ(error_of([] { read_passphrase("", "MTLS_TEST_PASSPHRASE"); }),
            "MTLS_TEST_PASSPHRASE: environment variable is not set");
  EXPECT_EQ(read_passphrase("", ""), "");
}

TEST_F(Pem, UnreadablePassphraseFileIsNamed) {
  EXPECT_EQ(error_of([&] { read_passphrase(path("nope"), ""); }),
            path("nope") + ": cannot read: No such file or directory");
}

TEST_F(Pem, CrlFileWithoutCrlsIsRefused) {
  EXPECT_EQ(error_of([&] { load_crls(pki_.ca_bundle()); }), pki_.ca_bundle() + ": no CRL found");
}

}  // namespace
}  // namespace mtls::certs
