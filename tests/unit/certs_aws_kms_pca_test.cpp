// KMS and ACM-PCA over the wire: our JSON 1.1 client, signer and credential chain against the
// loopback fake (tests/support/fake_kms_pca), which checks every signature and really encrypts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>

#include "certs/aws/acm_pca_client.hpp"
#include "certs/aws/kms_client.hpp"
#include "certs/pem.hpp"
#include "tests/support/fake_kms_pca.hpp"

namespace mtls::certs::aws {
namespace {

using test::FakeKmsPca;
using ::testing::HasSubstr;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

struct KmsPca : ::testing::Test {
  test::TestPki pki;
  FakeKmsPca fake{pki};
  AwsContext aws{fixed_environment(fake.environment())};
};

TEST_F(KmsPca, WrapThenUnwrapGivesThePlaintextBackAndRecordsTheKeyArn) {
  const std::string envelope = kms_wrap(aws, "", FakeKmsPca::kAlias, kDefaultContext, "secret!");
  EXPECT_EQ(parse_envelope(envelope).key_id, fake.key_arn()) << "the alias is resolved to the ARN";
  EXPECT_EQ(kms_unwrap(aws, envelope).bytes(), "secret!");
  EXPECT_EQ(fake.calls("GenerateDataKey"), 1);
  EXPECT_EQ(fake.calls("Decrypt"), 1);
}

TEST_F(KmsPca, DecryptIsPinnedToTheEnvelopesKeyAndContext) {
  const std::string envelope = kms_wrap(aws, "", fake.key_arn(), kDefaultContext, "secret!");
  std::string other_key = envelope;
  other_key.replace(other_key.find(fake.key_arn()), fake.key_arn().size(), fake.other_key_arn());
  EXPECT_THAT(error_of([&] { kms_unwrap(aws, other_key); }),
              HasSubstr("KMS Decrypt with " + fake.other_key_arn() + ": IncorrectKeyException"));
  std::string other_context = envelope;
  other_context.replace(other_context.find("mtls-sidecar-tls-key"), 4, "evil");
  EXPECT_THAT(error_of([&] { kms_unwrap(aws, other_context); }),
              HasSubstr("InvalidCiphertextException"));
}

TEST_F(KmsPca, AccessDeniedCarriesKmsOwnMessageAndIsNotRetried) {
  const std::string envelope = kms_wrap(aws, "", fake.key_arn(), kDefaultContext, "secret!");
  fake.deny("Decrypt");
  EXPECT_THAT(error_of([&] { kms_unwrap(aws, envelope); }),
              HasSubstr("KMS Decrypt with " + fake.key_arn() +
                        ": AccessDeniedException: User: arn:aws:iam::111122223333:user/test is "
                        "not authorized to perform: kms:Decrypt"));
  EXPECT_EQ(fake.calls("Decrypt"), 1);
}

TEST_F(KmsPca, AWrongSecretIsRefusedWithInvalidSignatureException) {
  auto env = fake.environment();
  env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret";
  AwsContext wrong{fixed_environment(env)};
  EXPECT_THAT(error_of([&] { kms_wrap(wrong, "", fake.key_arn(), kDefaultContext, "x"); }),
              HasSubstr("InvalidSignatureException"));
  EXPECT_EQ(fake.calls("GenerateDataKey"), 0);
}

TEST_F(KmsPca, AnUnknownKeyIsNotFound) {
  EXPECT_THAT(error_of([&] { kms_wrap(aws, "", "alias/nope", kDefaultContext, "x"); }),
              HasSubstr("NotFoundException: Key 'alias/nope' does not exist"));
}

TEST_F(KmsPca, PrivateCaCertificateAndChainComeBackAsSet) {
  EXPECT_THAT(error_of([&] { get_ca_certificate(aws, fake.ca_arn()); }),
              HasSubstr("ResourceNotFoundException"));
  const std::string root = to_pem(pki.ca().certificate());
  fake.set_ca(root);
  const CaCertificate got = get_ca_certificate(aws, fake.ca_arn());
  EXPECT_EQ(got.certificate, root);
  EXPECT_EQ(got.chain, "");
  fake.deny("GetCertificateAuthorityCertificate");
  EXPECT_THAT(error_of([&] { get_ca_certificate(aws, fake.ca_arn()); }),
              HasSubstr("AccessDeniedException"));
}

// KMS and ACM-PCA go through the same JsonServiceClient as ACM: its retries and its credential
// refresh apply to them too.
TEST_F(KmsPca, ThrottlingAndServerErrorsAreRetriedForKmsAndPca) {
  const std::string envelope = kms_wrap(aws, "", fake.key_arn(), kDefaultContext, "secret!");
  fake.fail("Decrypt", 1, 400, "ThrottlingException");
  fake.fail("Decrypt", 1, 500, "KMSInternalException");
  EXPECT_EQ(kms_unwrap(aws, envelope).bytes(), "secret!");
  EXPECT_EQ(fake.calls("Decrypt"), 3);

  fake.set_ca(to_pem(pki.ca().certificate()));
  fake.fail("GetCertificateAuthorityCertificate", 1, 503, "ServiceUnavailable");
  EXPECT_FALSE(get_ca_certificate(aws, fake.ca_arn()).certificate.empty());
  EXPECT_EQ(fake.calls("GetCertificateAuthorityCertificate"), 2);
}

TEST_F(KmsPca, RetriesAreBoundedAndNamedByTheOperation) {
  fake.fail("GenerateDataKey", -1, 400, "ThrottlingException");
  EXPECT_THAT(error_of([&] { kms_wrap(aws, "", fake.key_arn(), kDefaultContext, "x"); }),
              HasSubstr("GenerateDataKey: ThrottlingException"));
  EXPECT_EQ(fake.calls("GenerateDataKey"), RetryPolicy{}.max_attempts);
}

TEST_F(KmsPca, AnExpiredTokenResolvesTheCredentialsAgainOnce) {
  const std::string envelope = kms_wrap(aws, "", fake.key_arn(), kDefaultContext, "secret!");
  fake.fail("Decrypt", 1, 400, "ExpiredTokenException");
  EXPECT_EQ(kms_unwrap(aws, envelope).bytes(), "secret!");
  EXPECT_EQ(fake.calls("Decrypt"), 2);
  fake.fail("Decrypt", 2, 400, "ExpiredTokenException");
  EXPECT_THAT(error_of([&] { kms_unwrap(aws, envelope); }), HasSubstr("ExpiredTokenException"));
  EXPECT_EQ(fake.calls("Decrypt"), 4);
}

}  // namespace
}  // namespace mtls::certs::aws
