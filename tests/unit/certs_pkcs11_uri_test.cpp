// RFC 7512 URIs as identity.file.key takes them: what is passed to the engine (the key's path
// attributes only: never the PIN or the module), where the PIN comes from, and what is refused.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "certs/pkcs11_key.hpp"

namespace {

using mtls::certs::parse_pkcs11_uri;
using mtls::certs::Pkcs11Uri;
using ::testing::HasSubstr;

std::string refusal(const std::string& uri) {
  try {
    parse_pkcs11_uri(uri);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "accepted";
}

TEST(CertsPkcs11Uri, SplitsTheKeyFromTheModuleAndThePin) {
  const Pkcs11Uri u = parse_pkcs11_uri(
      "pkcs11:token=My%20Token;object=web;type=private?module-path=/usr/lib/m.so&pin-source=file:/"
      "run/pin");
  EXPECT_EQ(u.object_uri, "pkcs11:token=My%20Token;object=web;type=private");
  EXPECT_EQ(u.module_path, "/usr/lib/m.so");
  EXPECT_EQ(u.pin_file, "/run/pin");
  EXPECT_EQ(u.pin_value, "");
}

TEST(CertsPkcs11Uri, TakesThePinInThePathOrTheQueryAndAsAFileOrAValue) {
  EXPECT_EQ(parse_pkcs11_uri("pkcs11:token=t;object=k;pin-source=file:pin.txt").pin_file,
            "pin.txt");
  EXPECT_EQ(parse_pkcs11_uri("pkcs11:id=%01?pin-source=file:///run/pin").pin_file, "/run/pin");
  EXPECT_EQ(parse_pkcs11_uri("pkcs11:object=k?pin-source=/run/pin").pin_file, "/run/pin");
  const Pkcs11Uri value = parse_pkcs11_uri("pkcs11:object=k;pin-value=12%3B34");
  EXPECT_EQ(value.pin_value, "12;34");
  EXPECT_EQ(value.object_uri, "pkcs11:object=k") << "the PIN never reaches the engine's lookup";
}

TEST(CertsPkcs11Uri, RefusesWhatWouldNotNameOneKeyClearly) {
  EXPECT_THAT(refusal("pkcs11:token=t"), HasSubstr("names no key: give object="));
  EXPECT_THAT(refusal("pkcs11:token=t;label=k"), HasSubstr("unknown path attribute \"label\""));
  EXPECT_THAT(refusal("pkcs11:object=k?module=/m.so"),
              HasSubstr("unknown query attribute \"module\"; expected module-path"));
  EXPECT_THAT(refusal("pkcs11:object=k;module-path=/m.so"),
              HasSubstr("unknown path attribute \"module-path\""));
  EXPECT_THAT(refusal("pkcs11:object=k?module-name=softhsm2"), HasSubstr("give module-path="));
  EXPECT_THAT(refusal("pkcs11:object=k;type=cert"), HasSubstr("must be type=private"));
  EXPECT_THAT(refusal("pkcs11:object=k;object=j"), HasSubstr("object= given twice"));
  EXPECT_THAT(refusal("pkcs11:object=k;token"), HasSubstr("\"token\" is not name=value"));
  EXPECT_THAT(refusal("pkcs11:object=k%4"), HasSubstr("bad percent-encoding in object="));
  EXPECT_THAT(refusal("pkcs11:object=k?pin-source=file:/p&pin-value=1"),
              HasSubstr("pin-source= or pin-value=, not both"));
  EXPECT_THAT(refusal("pkcs11:object=k?pin-source=|/bin/pin"), HasSubstr("commands are not run"));
}

}  // namespace
