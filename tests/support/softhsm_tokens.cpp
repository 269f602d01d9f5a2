#include "tests/support/softhsm_tokens.hpp"

#include <openssl/crypto.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "certs/pem.hpp"

namespace mtls::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";  // Debian's softhsm2

bool on_path(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// Where OpenSSL looks for engines: OPENSSL_ENGINES_DIR reads `ENGINESDIR: "DIR"`.
std::string engines_dir() {
  std::string text = OpenSSL_version(OPENSSL_ENGINES_DIR);
  const std::size_t open = text.find('"'), close = text.rfind('"');
  return open == std::string::npos || close <= open ? "" : text.substr(open + 1, close - open - 1);
}

void run(const std::string& command, const std::string& log) {
  if (std::system((command + " >>" + log + " 2>&1").c_str()) != 0)
    throw std::runtime_error("failed: " + command + "\n" + certs::read_file(log));
}

}  // namespace

const SoftHsmTokens* SoftHsmTokens::get(std::string& why) {
  // The tokens' directory is removed when the process exits.
  static struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } cleanup;
  static std::string missing;
  static const SoftHsmTokens* tokens = []() -> const SoftHsmTokens* {
    if (!fs::exists(kModule))
      missing = std::string(kModule) + " is missing (Debian softhsm2)";
    else if (!on_path("softhsm2-util"))
      missing = "softhsm2-util is missing (Debian softhsm2)";
    else if (!on_path("pkcs11-tool"))
      missing = "pkcs11-tool is missing (Debian opensc)";
    else if (!fs::exists(engines_dir() + "/pkcs11.so"))
      missing = "the OpenSSL pkcs11 engine is missing (Debian libengine-pkcs11-openssl)";
    if (!missing.empty()) return nullptr;

    auto* t = new SoftHsmTokens;  // lives as long as the module that reads its directory
    t->dir_ = (fs::temp_directory_path() / ("mtls-softhsm-" + std::to_string(::getpid()))).string();
    fs::remove_all(t->dir_);
    cleanup.dir = t->dir_;
    fs::create_directories(t->dir_ + "/tokens");
    const std::string conf = t->dir_ + "/softhsm2.conf";
    certs::write_file(conf,
                      "directories.tokendir = " + t->dir_ +
                          "/tokens\n"
                          "objectstore.backend = file\nlog.level = ERROR\n",
                      0600);
    ::setenv("SOFTHSM2_CONF", conf.c_str(), 1);
    t->module_ = kModule;
    t->pin_ = "31415926";
    t->pin_file_ = t->dir_ + "/pin";
    certs::write_file(t->pin_file_, t->pin_ + "\n", 0600);
    const std::string log = t->dir_ + "/setup.log";
    for (const char* token : {kToken, kUntouchedToken}) {
      run(std::string("softhsm2-util --init-token --free --label ") + token + " --pin " + t->pin_ +
              " --so-pin 27182818",
          log);
      run(std::string("pkcs11-tool --module ") + kModule + " --token-label " + token +
              " --login --pin " + t->pin_ +
              " --keypairgen --key-type EC:prime256v1 --id 01 --label " + kKeyLabel,
          log);
    }
    return t;
  }();
  why = missing;
  return tokens;
}

std::string SoftHsmTokens::uri(const std::string& token, const std::string& object) const {
  return "pkcs11:token=" + token + ";object=" + object + "?module-path=" + module_ +
         "&pin-source=file:" + pin_file_;
}

}  // namespace mtls::test
