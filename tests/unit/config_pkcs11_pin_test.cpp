// A PKCS#11 key URI is kept as written (it names a key in a token), except for a relative PIN
// file, which moves with the config like every other file it names.

#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"

namespace {

namespace config = mtls::config;

std::string key_as_loaded(const std::string& key) {
  const std::string yaml = "identity:\n  source: file\n  file: { cert: a.crt, key: \"" + key +
                           "\" }\n"
                           "trust: { ca_bundle: ca.crt }\n"
                           "inbound:\n  - { name: web, listen: 0.0.0.0:8443, forward: "
                           "127.0.0.1:8080, allow: { any: true } }\n";
  const config::Config c = config::load_string(yaml, "s.yaml", "/etc/m");
  EXPECT_EQ(c.origins.at("identity.file.key").written, key) << "messages quote it as written";
  return c.identity.file.key;
}

TEST(ConfigPkcs11Pin, ARelativePinFileIsResolvedAgainstTheConfigDirectory) {
  EXPECT_EQ(key_as_loaded("pkcs11:token=t;object=k;pin-source=file:pin.txt"),
            "pkcs11:token=t;object=k;pin-source=file:/etc/m/pin.txt");
  EXPECT_EQ(key_as_loaded("pkcs11:token=t;object=k?pin-source=secrets/pin"),
            "pkcs11:token=t;object=k?pin-source=/etc/m/secrets/pin");
}

TEST(ConfigPkcs11Pin, EverythingElseIsKept) {
  for (const std::string uri :
       {"pkcs11:token=t;object=k?pin-source=file:/run/pin", "pkcs11:token=t;object=k?pin-value=12",
        "pkcs11:object=k?module-path=/usr/lib/m.so&pin-source=file:/run/pin"}) {
    EXPECT_EQ(key_as_loaded(uri), uri);
  }
}

}  // namespace
