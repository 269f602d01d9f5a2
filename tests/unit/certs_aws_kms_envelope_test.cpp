// The KMS envelope format (certs/aws/kms_envelope): what kms-wrap writes and key_kms reads. Every
// header field and every body byte is authenticated; malformed or unknown versions are refused
// with the line at fault.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>

#include "certs/aws/json_client.hpp"
#include "certs/aws/kms_envelope.hpp"

namespace mtls::certs::aws {
namespace {

using ::testing::HasSubstr;

const std::string kKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/1234";
const SecretBytes& data_key() {
  static const SecretBytes key{std::string(32, '\x42')};
  return key;
}

std::string sealed(std::string_view plain = "PKCS#8 DER bytes") {
  return seal_envelope(kKeyArn, kDefaultContext, "wrapped-by-kms", data_key(), plain);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(KmsEnvelope, SealedKeyOpensWithTheSameDataKeyAndKeepsItsHeaders) {
  const std::string text = sealed();
  EXPECT_TRUE(text.starts_with("-----BEGIN MTLS KMS ENVELOPE-----\nVersion: 1\nKey-Id: " + kKeyArn +
                               "\nEncryption-Context: {\"purpose\":\"mtls-sidecar-tls-key\"}\n"));
  EXPECT_TRUE(text.ends_with("-----END MTLS KMS ENVELOPE-----\n"));
  const KmsEnvelope e = parse_envelope(text);
  EXPECT_EQ(e.key_id, kKeyArn);
  EXPECT_EQ(e.context, kDefaultContext);
  EXPECT_EQ(e.wrapped_key, "wrapped-by-kms");
  EXPECT_EQ(open_envelope(e, data_key()).bytes(), "PKCS#8 DER bytes");
  EXPECT_EQ(text.find("PKCS#8 DER"), std::string::npos);
  EXPECT_NE(sealed(), text) << "each seal must use a fresh nonce";
}

TEST(KmsEnvelope, EveryHeaderFieldAndTheBodyAreAuthenticated) {
  const std::string text = sealed(std::string(200, 'k'));
  const KmsEnvelope e = parse_envelope(text);
  const std::string other_nonce = base64_encode(std::string(12, '\x01'));
  const std::string body_line = text.substr(text.find("\n\n") + 2, 64);
  std::string flipped_body = body_line;
  flipped_body[10] = flipped_body[10] == 'A' ? 'B' : 'A';
  const std::string edits[][2] = {
      {kKeyArn, "arn:aws:kms:eu-west-1:111122223333:key/9999"},
      {"mtls-sidecar-tls-key", "something-else"},
      {"Data-Key: " + base64_encode("wrapped-by-kms"),
       "Data-Key: " + base64_encode("wrapped-by-km5")},
      {"Nonce: " + base64_encode(e.nonce), "Nonce: " + other_nonce},
      {body_line, flipped_body},
  };
  for (const auto& [from, to] : edits) {
    SCOPED_TRACE(from);
    const KmsEnvelope tampered = parse_envelope(replaced(text, from, to));
    EXPECT_THAT(error_of([&] { open_envelope(tampered, data_key()); }),
                HasSubstr("does not authenticate"));
  }
  EXPECT_THAT(error_of([&] { open_envelope(e, SecretBytes{std::string(32, '\x43')}); }),
              HasSubstr("does not authenticate"));
}

TEST(KmsEnvelope, RefusesWhatIsNotAVersionOneEnvelopeSayingWhere) {
  const std::string text = sealed();
  EXPECT_THAT(error_of([] { parse_envelope("-----BEGIN PRIVATE KEY-----\nMIIB\n"); }),
              HasSubstr("not a KMS envelope"));
  EXPECT_THAT(error_of([&] { parse_envelope(replaced(text, "Version: 1", "Version: 2")); }),
              HasSubstr("Version 2 is not supported"));
  EXPECT_THAT(error_of([&] { parse_envelope(replaced(text, "Key-Id:", "Key-ID:")); }),
              HasSubstr("line 3: expected Key-Id:"));
  EXPECT_THAT(error_of([&] { parse_envelope(replaced(text, "Nonce: ", "Nonce: !")); }),
              HasSubstr("Nonce is not base64"));
  EXPECT_THAT(error_of([&] { parse_envelope(text.substr(0, text.size() - 20)); }),
              HasSubstr("no \"-----END MTLS KMS ENVELOPE-----\" line"));
  EXPECT_TRUE(looks_like_envelope("\n" + text));
  EXPECT_FALSE(looks_like_envelope("-----BEGIN PRIVATE KEY-----"));
}

TEST(KmsEnvelope, Base64RoundTripsEveryLengthAndRefusesNoise) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << n;
    bytes += char(n * 37);
  }
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_THROW(base64_decode("aGVsbG8"), std::invalid_argument);
  EXPECT_THROW(base64_decode("aGV*bG8="), std::invalid_argument);
}

}  // namespace
}  // namespace mtls::certs::aws
