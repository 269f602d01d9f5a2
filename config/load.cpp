// load_file and load_string: YAML text to a validated Config, or one Error with every issue.

#include <yaml-cpp/eventhandler.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/schema.hpp"

namespace mtls::config {
namespace {

namespace fs = std::filesystem;

// Config and its files move together: relative paths are relative to the config's directory.
// Each path is remembered as written, for messages (Config::origins).
void resolve_paths(Config& config, const std::string& base_dir) {
  const auto resolve = [&](const std::string& field, std::string& path) {
    config.origins[field].written = path;
    if (base_dir.empty() || base_dir == ".") return;  // relative to the cwd already
    if (!path.empty() && fs::path(path).is_relative()) path = (fs::path(base_dir) / path).string();
  };
  IdentityConfig& identity = config.identity;
  resolve("identity.file.cert", identity.file.cert);
  // A PKCS#11 URI names a key in a token, not a file; its PIN file is a file like the others.
  if (identity.file.key.starts_with("pkcs11:")) {
    config.origins["identity.file.key"].written = identity.file.key;
    static const std::regex kRelativePinFile(R"(([;?&]pin-source=(?:file:)?)(?!/|file:)([^;?&]+))");
    if (!base_dir.empty() && base_dir != ".")
      identity.file.key = std::regex_replace(identity.file.key, kRelativePinFile,
                                             "$1" + (fs::path(base_dir) / "").string() + "$2");
  } else {
    resolve("identity.file.key", identity.file.key);
  }
  resolve("identity.file.ocsp_response", identity.file.ocsp_response);
  resolve("identity.file.key_passphrase_file", identity.file.key_passphrase_file);
  resolve("identity.local_ca.dir", identity.local_ca.dir);
  resolve("identity.local_ca.key_passphrase_file", identity.local_ca.key_passphrase_file);
  resolve("trust.ca_bundle", config.trust.ca_bundle);
  resolve("trust.crl", config.trust.crl);
  for (TrustDomainBundle& domain : config.trust.domains)
    resolve("trust.domains." + domain.domain, domain.ca_bundle);
}

void record_origins(const detail::Diagnostics& diag, Config& config) {
  for (const auto& [field, at] : diag.keys()) {
    FieldOrigin& origin = config.origins[field];
    origin.line = at.line;
    origin.column = at.column;
  }
}

// An unquoted "[::1]:9901" is a YAML flow list followed by junk: the syntax error alone does
// not say what to do.
std::string syntax_hint(std::string_view yaml, int line) {
  std::size_t start = 0;
  for (int i = 0; i < line && start != std::string_view::npos; ++i) {
    start = yaml.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos) return "";
  static const std::regex kBareIpv6(R"((:|-)\s*\[[0-9A-Fa-f:.%]*:[0-9A-Fa-f:.%]*\]:[0-9])");
  const std::string text(yaml.substr(start, yaml.find('\n', start) - start));
  if (!std::regex_search(text, kBareIpv6)) return "";
  return "; quote IPv6 addresses, like listen: \"[::1]:9901\"";
}

// Finds where a second YAML document starts, if there is one. YAML::LoadAll cannot be used:
// yaml-cpp 0.7 loops forever, allocating, on some malformed streams ("," alone; yaml-cpp issue
// #1040, found by tests/fuzz). The event parser with a do-nothing handler, asked for at most two
// documents, always ends.
class SecondDocument : public YAML::EventHandler {
 public:
  static std::optional<YAML::Mark> find(std::string_view yaml) {
    std::istringstream in{std::string(yaml)};
    SecondDocument handler;
    try {
      YAML::Parser parser(in);
      if (!parser.HandleNextDocument(handler) || !parser.HandleNextDocument(handler)) return {};
    } catch (const YAML::Exception&) {
      return {};  // the first document's syntax errors are reported by YAML::Load
    }
    return handler.start_;
  }
  // The position reported is that of the second document's first node, like a node's Mark().
  void OnDocumentStart(const YAML::Mark&) override { pending_ = true; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(m);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& m) {
    if (pending_) start_ = m;
    pending_ = false;
  }
  bool pending_ = false;
  YAML::Mark start_;
};

void read_document(std::string_view yaml, const std::string& base_dir, detail::Diagnostics& diag,
                   Config& config) {
  YAML::Node document;
  try {
    document = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {  // yaml-cpp reports syntax only by throwing
    diag.add(detail::position_of(e.mark), "",
             "invalid YAML: " + e.msg + syntax_hint(yaml, e.mark.line));
    return;
  }
  if (!document || document.IsNull()) {
    diag.add({1, 1}, "", "empty config; expected a map of settings (identity, inbound, ...)");
    return;
  }
  if (!document.IsMap()) {
    diag.add({1, 1}, "",
             "expected a map of settings at the top level, got a " +
                 std::string(document.IsSequence() ? "list" : "scalar"));
    return;
  }
  if (const auto second = SecondDocument::find(yaml)) {
    diag.add(detail::position_of(*second), "", "a second YAML document; a config file holds one");
  }
  detail::read_config(document, diag, config);
  record_origins(diag, config);
  resolve_paths(config, base_dir);
  detail::validate(config, diag);
}

Config load(std::string_view yaml, const std::string& name, const std::string& base_dir,
            const std::string& path) {
  detail::Diagnostics diag(name);
  Config config;
  config.path = path;
  config.name = name;
  read_document(yaml, base_dir, diag, config);
  if (!diag.empty()) throw Error(diag.take());
  return config;
}

[[noreturn]] void fail_file(const std::string& path, std::string message) {
  throw Error({Issue{path, 0, 0, "", std::move(message)}});
}

}  // namespace

Config load_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail_file(path, "is a directory, not a config file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_file(path, std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail_file(path, std::string("cannot read: ") + std::strerror(errno));
  const std::string dir = fs::path(path).parent_path().string();
  return load(text.str(), path, dir.empty() ? "." : dir, path);
}

Config load_string(std::string_view yaml, const std::string& name, const std::string& base_dir) {
  return load(yaml, name, base_dir, "");
}

}  // namespace mtls::config
