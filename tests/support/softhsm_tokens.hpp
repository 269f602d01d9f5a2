#pragma once
// SoftHSM2 tokens for the PKCS#11 tests, made at test time in a temp directory: each holds an
// ECDSA P-256 key pair (label "web") generated inside it by pkcs11-tool, and its PIN in a file.
//
// One set per test process: SoftHSM reads SOFTHSM2_CONF once, when the module is first
// initialised, and the pkcs11 engine lists the tokens then. So every token is made up front,
// before anything loads the module, and lives until the process exits.

#include <string>

namespace mtls::test {

class SoftHsmTokens {
 public:
  // The tokens; nullptr and `why` when SoftHSM2 or pkcs11-tool (Debian softhsm2, opensc) or the
  // pkcs11 engine (libengine-pkcs11-openssl) is missing: the caller skips.
  static const SoftHsmTokens* get(std::string& why);

  static constexpr const char* kToken = "mtls";  // logged into by the tests that serve
  // Only ever offered a wrong PIN: libp11 keeps a token logged in for the life of the process,
  // so a wrong PIN is refused only where no right one came first.
  static constexpr const char* kUntouchedToken = "untouched";
  static constexpr const char* kKeyLabel = "web";

  std::string module() const { return module_; }
  std::string pin_file() const { return pin_file_; }  // mode 0600, the right PIN for both tokens
  std::string pin() const { return pin_; }
  // pkcs11:token=TOKEN;object=OBJECT?module-path=...&pin-source=file:PIN_FILE
  std::string uri(const std::string& token = kToken, const std::string& object = kKeyLabel) const;

 private:
  SoftHsmTokens() = default;
  std::string dir_, module_, pin_file_, pin_;
};

}  // namespace mtls::test
