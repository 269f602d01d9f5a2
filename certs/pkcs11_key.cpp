// OpenSSL 3.0 deprecates ENGINEs, yet in Debian bookworm the pkcs11 engine is OpenSSL's only way
// to a PKCS#11 token (there is no pkcs11-provider package): the warnings are silenced in this
// file only.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "certs/pkcs11_key.hpp"

#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ui.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <vector>

#include "certs/load_error.hpp"
#include "certs/pem.hpp"

namespace mtls::certs {
namespace {

constexpr std::string_view kScheme = "pkcs11:";
const std::string kField = "identity.file.key";

// RFC 7512's path attributes (the engine matches on them) and the query attributes we act on.
constexpr std::array<std::string_view, 13> kPathAttributes = {"token",
                                                              "object",
                                                              "id",
                                                              "type",
                                                              "manufacturer",
                                                              "serial",
                                                              "model",
                                                              "slot-id",
                                                              "slot-description",
                                                              "slot-manufacturer",
                                                              "library-manufacturer",
                                                              "library-description",
                                                              "library-version"};

std::string join(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  while (true) {
    const std::size_t at = text.find(separator);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

std::string percent_decode(std::string_view value, std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out += value[i];
      continue;
    }
    const auto hex = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = i + 2 < value.size() ? hex(value[i + 1]) : -1;
    const int lo = i + 2 < value.size() ? hex(value[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      throw std::runtime_error("bad percent-encoding in " + std::string(name) + "=");
    out += char(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// The PIN is wiped from our copy once the engine has its own.
struct Pin {
  std::string text;
  ~Pin() { OPENSSL_cleanse(text.data(), text.size()); }
};

std::string read_pin(const Pkcs11Uri& uri) {
  if (!uri.pin_value.empty()) return uri.pin_value;
  if (uri.pin_file.empty()) return {};
  std::string pin = read_file(uri.pin_file);
  while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) pin.pop_back();
  if (pin.empty()) throw std::runtime_error("pin-source " + uri.pin_file + ": empty");
  return pin;
}

// One engine per module for the life of the process: libp11 keeps the module initialised and
// the token logged in there, and the keys it returned sign through it until they are freed.
std::mutex engines_mutex;
std::map<std::string, ENGINE*>& engines() {
  static auto* by_module = new std::map<std::string, ENGINE*>;  // never freed: keys outlive exit
  return *by_module;
}

ENGINE* engine_for(const std::string& module) {
  auto& by_module = engines();
  if (const auto it = by_module.find(module); it != by_module.end()) return it->second;
  OPENSSL_init_crypto(OPENSSL_INIT_ENGINE_DYNAMIC, nullptr);
  ENGINE* e = ENGINE_by_id("pkcs11");
  if (!e) {
    throw std::runtime_error(
        "the OpenSSL engine \"pkcs11\" is not installed (Debian: libengine-pkcs11-openssl): " +
        drain_openssl_errors());
  }
  // libp11 prints its own diagnostics to stderr; ours say the same in the log, at the field.
  ENGINE_ctrl_cmd_string(e, "QUIET", nullptr, 0);
  if (!module.empty() && !ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module.c_str(), 0)) {
    ENGINE_free(e);
    throw std::runtime_error("module-path " + module +
                             ": refused by the engine: " + drain_openssl_errors());
  }
  if (!ENGINE_init(e)) {
    ENGINE_free(e);
    throw std::runtime_error("the pkcs11 engine did not initialise: " + drain_openssl_errors());
  }
  by_module.emplace(module, e);
  return e;
}

// The engine must never prompt on the terminal for a PIN the URI does not give: a sidecar has
// nobody at its terminal, and check-config must answer, not wait.
UI_METHOD* no_prompt() {
  static UI_METHOD* method = [] {
    UI_METHOD* m = UI_create_method("mtls-sidecar: no PIN prompt");
    UI_method_set_reader(m, [](UI*, UI_STRING*) { return 0; });
    return m;
  }();
  return method;
}

std::string module_name(const Pkcs11Uri& uri) {
  return uri.module_path.empty() ? "the default module (p11-kit-proxy)" : uri.module_path;
}

// The engine's error queue, as one reason a person can act on.
std::string why_not_loaded(const Pkcs11Uri& uri, bool pin_given) {
  std::string module_reason, engine_reason, all;
  const char* data = nullptr;
  int flags = 0;
  while (const unsigned long code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    const char* lib = ERR_lib_error_string(code);
    const char* reason = ERR_reason_error_string(code);
    const std::string text = reason ? reason : std::to_string(ERR_GET_REASON(code));
    if (lib && std::string_view(lib) == "PKCS#11 module" && module_reason.empty())
      module_reason = text;
    else if (lib && std::string_view(lib) == "pkcs11 engine" && engine_reason.empty())
      engine_reason = text;
    all += (all.empty() ? "" : "; ") + text;
  }
  const std::string in = " (module " + module_name(uri) + ")";
  // Without a login a token shows no private key: a missing PIN looks like a missing key.
  if (!pin_given)
    return "no PIN given, and a token shows its private keys only after a login: add "
           "pin-source=file:PATH" +
           in;
  if (module_reason.find("PIN") != std::string::npos)
    return "the token refused the PIN: " + module_reason + in;
  if (engine_reason == "object not found")
    return "no such token or key" + in +
           ": check token= (the token's label) and object= (the key's label) or id=; "
           "`pkcs11-tool --module MODULE --list-token-slots` and `--login --list-objects` show "
           "them";
  if (!module_reason.empty()) return module_reason + in;
  return "the pkcs11 engine could not load it" + in + (all.empty() ? "" : ": " + all);
}

}  // namespace

Pkcs11Uri parse_pkcs11_uri(const std::string& text) {
  if (!is_pkcs11_uri(text)) throw std::runtime_error("not a pkcs11: URI");
  std::string_view rest = std::string_view(text).substr(kScheme.size());
  const std::size_t question = rest.find('?');
  const std::string_view path = rest.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1);

  Pkcs11Uri uri;
  std::vector<std::string_view> seen;
  bool names_key = false;
  const auto attribute = [&](std::string_view pair, bool in_path) {
    if (pair.empty()) return;
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0)
      throw std::runtime_error("\"" + std::string(pair) + "\" is not name=value");
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value = pair.substr(eq + 1);
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      throw std::runtime_error(std::string(name) + "= given twice");
    seen.push_back(name);
    if (name == "pin-source") {
      std::string source = percent_decode(value, name);
      if (source.starts_with("file://")) {
        source.erase(0, 7);
      } else if (source.starts_with("file:")) {
        source.erase(0, 5);
      } else if (source.starts_with("|")) {
        throw std::runtime_error("pin-source: commands are not run; name a file (file:PATH)");
      }
      if (source.empty()) throw std::runtime_error("pin-source= names no file");
      uri.pin_file = source;
    } else if (name == "pin-value") {
      uri.pin_value = percent_decode(value, name);
    } else if (name == "module-path" && !in_path) {
      uri.module_path = percent_decode(value, name);
    } else if (name == "module-name" && !in_path) {
      throw std::runtime_error("module-name= is not supported; give module-path=");
    } else if (in_path && std::find(kPathAttributes.begin(), kPathAttributes.end(), name) !=
                              kPathAttributes.end()) {
      if (name == "type" && value != "private")
        throw std::runtime_error("type=" + std::string(value) + ": the key must be type=private");
      percent_decode(value, name);  // checked here; the engine decodes it itself
      if (name == "object" || name == "id") names_key = true;
      uri.object_uri += (uri.object_uri.size() == kScheme.size() ? "" : ";") + std::string(pair);
    } else {
      std::vector<std::string_view> known;
      if (in_path) {
        known.assign(kPathAttributes.begin(), kPathAttributes.end());
        known.insert(known.end(), {"pin-source", "pin-value"});
      } else {
        known = {"module-path", "pin-source", "pin-value"};
      }
      throw std::runtime_error("unknown " + std::string(in_path ? "path" : "query") +
                               " attribute \"" + std::string(name) + "\"; expected " + join(known));
    }
  };
  uri.object_uri = std::string(kScheme);
  for (std::string_view pair : split(path, ';')) attribute(pair, true);
  if (!query.empty())
    for (std::string_view pair : split(query, '&')) attribute(pair, false);
  if (!names_key) throw std::runtime_error("names no key: give object= (its label) or id=");
  if (!uri.pin_file.empty() && !uri.pin_value.empty())
    throw std::runtime_error("give pin-source= or pin-value=, not both");
  return uri;
}

std::string pkcs11_key_name(const std::string& uri) {
  try {
    return parse_pkcs11_uri(uri).object_uri;
  } catch (const std::exception&) {
    return "a pkcs11: URI";
  }
}

EvpPkeyPtr load_pkcs11_key(const std::string& text) {
  // The PIN never appears in messages: they name the URI's key part only.
  const Pkcs11Uri uri = [&] {
    try {
      return parse_pkcs11_uri(text);
    } catch (const std::exception& e) {
      throw LoadError(kField, std::string("bad PKCS#11 URI: ") + e.what());
    }
  }();
  try {
    const Pin pin{read_pin(uri)};
    const std::lock_guard lock(engines_mutex);
    ENGINE* e = engine_for(uri.module_path);
    ERR_clear_error();
    // The engine keeps the last PIN it was given: a URI without one must not log in with it.
    // (libp11 takes no "no PIN": an empty one fails the login, as no PIN would.)
    if (!ENGINE_ctrl_cmd_string(e, "PIN", pin.text.c_str(), 0)) {
      throw std::runtime_error("the engine refused the PIN: " + drain_openssl_errors());
    }
    EvpPkeyPtr key(ENGINE_load_private_key(e, uri.object_uri.c_str(), no_prompt(), nullptr));
    if (!key) throw std::runtime_error(why_not_loaded(uri, !pin.text.empty()));
    return key;
  } catch (const std::exception& e) {
    throw LoadError(kField, uri.object_uri + ": " + e.what());
  }
}

std::vector<std::string> pkcs11_storage_dirs(const Pkcs11Uri& uri) {
  if (uri.module_path.find("softhsm") == std::string::npos) return {};
  const char* env = std::getenv("SOFTHSM2_CONF");
  std::ifstream conf(env && *env ? env : "/etc/softhsm/softhsm2.conf");
  std::vector<std::string> dirs;
  for (std::string line; std::getline(conf, line);) {
    static const std::regex kTokenDir(R"(^\s*directories\.tokendir\s*=\s*(\S+)\s*$)");
    std::smatch m;
    if (std::regex_match(line, m, kTokenDir)) dirs.push_back(m[1]);
  }
  return dirs;
}

}  // namespace mtls::certs
