#pragma once
// A private key that stays in a PKCS#11 token (an HSM, SoftHSM2): identity.file.key given as an
// RFC 7512 URI, "pkcs11:token=mtls;object=web?module-path=/usr/lib/softhsm/libsofthsm2.so&
// pin-source=file:/run/secrets/pin". The returned EVP_PKEY signs in the token through the OpenSSL
// ENGINE "pkcs11" (Debian libengine-pkcs11-openssl: OpenSSL 3.0 in bookworm has no PKCS#11
// provider); everything else (key matches leaf, contexts, reloads) treats it as any other key.
// The only file that knows about engines.

#include <string>
#include <string_view>
#include <vector>

#include "certs/openssl_ptr.hpp"

namespace mtls::certs {

inline bool is_pkcs11_uri(std::string_view key) { return key.starts_with("pkcs11:"); }

struct Pkcs11Uri {
  std::string object_uri;   // the path attributes only (token, object, id...): what is looked up
  std::string module_path;  // module-path; empty: the engine's default (p11-kit's proxy module)
  std::string pin_file;     // pin-source (file:PATH or PATH); empty with pin_value or no PIN
  std::string pin_value;    // pin-value: the PIN in the config itself (pin-source is preferred)
};

// Checks the URI's syntax and attributes; throws std::runtime_error saying what is wrong.
// pin-source and pin-value are accepted in the path (as libp11 and most examples write them)
// or in the query (RFC 7512).
Pkcs11Uri parse_pkcs11_uri(const std::string& uri);

// How messages name the key: its path attributes ("pkcs11:token=mtls;object=web"), never the
// PIN a pin-value carries; "a pkcs11: URI" when it does not parse.
std::string pkcs11_key_name(const std::string& uri);

// Loads the token's private key (logs in with the PIN first). Throws LoadError at
// identity.file.key naming what failed: the URI, the module, the PIN, the token or object.
// Thread-safe; the engine and module stay loaded for the life of the process.
EvpPkeyPtr load_pkcs11_key(const std::string& uri);

// Directories the URI's module reads after start-up, at each signature and when the key is
// loaded again (a certificate rotation reloads it): SoftHSM2's token directory
// (directories.tokendir of SOFTHSM2_CONF, else /etc/softhsm/softhsm2.conf). Empty for other
// modules, whose needs are not known here.
std::vector<std::string> pkcs11_storage_dirs(const Pkcs11Uri& uri);

}  // namespace mtls::certs
