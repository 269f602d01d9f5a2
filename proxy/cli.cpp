#include "proxy/cli.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "certs/local_ca.hpp"
#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "config/config.hpp"
#include "metrics/log.hpp"
#include "proxy/demo.hpp"
#include "proxy/sandbox.hpp"
#include "proxy/sidecar.hpp"
#include "proxy/version.hpp"

namespace mtls::proxy {
namespace {

constexpr const char* kUsage = R"(mtls-sidecar - mutual TLS for plaintext services, in and out

usage:
  mtls-sidecar run --config FILE [--log-level debug|info|warn|error]
  mtls-sidecar check-config --config FILE
  mtls-sidecar ca init --dir DIR [--trust-domain D] [--passphrase-file F] [--force]
  mtls-sidecar ca issue --dir DIR --spiffe-id URI [--dns NAME]... --out DIR [--ttl 24h]
                        [--passphrase-file F]
  mtls-sidecar demo           the in-transit encryption demo (no files needed)
  mtls-sidecar version
  mtls-sidecar COMMAND --help

`mtls-sidecar --config FILE` is short for `run --config FILE`.
Signals: SIGTERM/SIGINT stop, SIGHUP reloads certificates and trust.
)";

// Flags of one command: --name VALUE (repeatable) and bare --switches.
struct Flags {
  std::map<std::string, std::vector<std::string>> values;
  bool help = false;

  std::string get(const std::string& name, const std::string& fallback = {}) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second.back();
  }
  bool has(const std::string& name) const { return values.count(name) > 0; }
};

// Throws std::invalid_argument for an unknown flag or a missing value.
Flags parse_flags(int argc, char** argv, int first, const std::vector<std::string>& with_value,
                  const std::vector<std::string>& switches) {
  Flags f;
  auto is = [](const std::vector<std::string>& set, const std::string& s) {
    return std::find(set.begin(), set.end(), s) != set.end();
  };
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      f.help = true;
      continue;
    }
    std::string value;
    bool inline_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    const std::string name = arg.rfind("--", 0) == 0 ? arg.substr(2) : "";
    if (is(switches, name) && !inline_value) {
      f.values[name].push_back("true");
    } else if (is(with_value, name)) {
      if (!inline_value) {
        if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
        value = argv[++i];
      }
      f.values[name].push_back(value);
    } else {
      throw std::invalid_argument("unknown argument " + std::string(argv[i]));
    }
  }
  return f;
}

void apply_log_level(const Flags& f) {
  if (!f.has("log-level")) return;
  log::Level level;
  if (!log::parse_level(f.get("log-level"), level))
    throw std::invalid_argument("--log-level must be debug, info, warn or error");
  log::set_level(level);
}

std::string require(const Flags& f, const std::string& name) {
  if (!f.has(name)) throw std::invalid_argument("--" + name + " is required");
  return f.get(name);
}

int cmd_run(int argc, char** argv, int first) {
  const Flags f = parse_flags(argc, argv, first, {"config", "log-level"}, {});
  if (f.help) return std::fputs("usage: mtls-sidecar run --config FILE [--log-level LEVEL]\n", stdout), 0;
  apply_log_level(f);
  config::Config cfg = config::load_file(require(f, "config"));
  log::info(std::string("mtls-sidecar ") + kVersion + " starting with " + cfg.path);
  // Least privilege (proxy/sandbox.hpp): the sandbox before any thread exists, the user switch
  // once the ports are bound.
  const sandbox::Plan plan = sandbox::make_plan(cfg);
  // The key's passphrase leaves the environment (and /proc/PID/environ) before anything else
  // runs; reloads read it from memory.
  certs::take_passphrase_env(cfg.identity.file.key_passphrase_env);
  certs::take_passphrase_env(cfg.identity.local_ca.key_passphrase_env);
  Sidecar sidecar(std::move(cfg), {.handle_signals = true});
  log::info(sandbox::restrict_filesystem(plan).detail);
  sidecar.start();
  sandbox::drop_privileges(plan);
  if (!plan.user.empty()) log::info("running as user " + plan.user);
  log::info("ready");
  sidecar.wait();
  sidecar.stop();
  log::info("stopped");
  return 0;
}

int cmd_check_config(int argc, char** argv, int first) {
  const Flags f = parse_flags(argc, argv, first, {"config"}, {});
  if (f.help) return std::fputs("usage: mtls-sidecar check-config --config FILE\n", stdout), 0;
  const std::string path = require(f, "config");
  try {
    const config::Config cfg = config::load_file(path);
    std::printf("%s: ok (%zu inbound, %zu outbound listeners)\n", path.c_str(), cfg.inbound.size(),
                cfg.outbound.size());
    return 0;
  } catch (const config::Error& e) {
    for (const auto& issue : e.issues()) std::fprintf(stderr, "%s\n", issue.to_string().c_str());
    return 1;
  }
}

std::string read_optional_passphrase(const Flags& f) {
  std::string pass = certs::read_passphrase(f.get("passphrase-file"), "");
  return pass;
}

int cmd_ca(int argc, char** argv, int first) {
  const std::string sub = first < argc ? argv[first] : "";
  if (sub == "init") {
    const Flags f = parse_flags(argc, argv, first + 1, {"dir", "trust-domain", "passphrase-file"}, {"force"});
    if (f.help)
      return std::fputs("usage: mtls-sidecar ca init --dir DIR [--trust-domain D] [--passphrase-file F] [--force]\n", stdout), 0;
    std::string pass = read_optional_passphrase(f);
    const auto ca = certs::LocalCa::init(require(f, "dir"), f.get("trust-domain", "demo.local"), pass,
                                         f.has("force"));
    OPENSSL_cleanse(pass.data(), pass.size());
    std::printf("created CA %s in %s (ca.crt, ca.key mode 0600)\n",
                certs::subject_text(ca.certificate()).c_str(), ca.dir().c_str());
    return 0;
  }
  if (sub == "issue") {
    const Flags f = parse_flags(argc, argv, first + 1,
                                {"dir", "spiffe-id", "dns", "out", "ttl", "passphrase-file"}, {});
    if (f.help)
      return std::fputs("usage: mtls-sidecar ca issue --dir DIR --spiffe-id URI [--dns NAME]... --out DIR [--ttl 24h]\n", stdout), 0;
    config::Duration ttl = std::chrono::hours(24);
    std::string why;
    if (f.has("ttl") && !config::parse_duration(f.get("ttl"), ttl, why))
      throw std::invalid_argument("--ttl: " + why);
    std::string pass = read_optional_passphrase(f);
    const auto ca = certs::LocalCa::open(require(f, "dir"), pass);
    OPENSSL_cleanse(pass.data(), pass.size());
    certs::LeafRequest req;
    req.spiffe_id = require(f, "spiffe-id");
    if (f.has("dns")) req.dns_names = f.values.at("dns");
    req.ttl = std::chrono::duration_cast<std::chrono::seconds>(ttl);
    const auto issued = ca.issue(req);
    const std::string out = require(f, "out");
    certs::write_issued(out, issued, ca.certificate());
    std::printf("issued %s serial %s -> %s/tls.crt, %s/tls.key\n", req.spiffe_id.c_str(),
                certs::serial_hex(issued.cert.get()).c_str(), out.c_str(), out.c_str());
    return 0;
  }
  std::fputs("usage: mtls-sidecar ca init|issue ... (see --help)\n", sub == "--help" ? stdout : stderr);
  return sub == "--help" || sub == "-h" ? 0 : 2;
}

int dispatch(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "run") return cmd_run(argc, argv, 2);
  if (cmd.rfind("--config", 0) == 0) return cmd_run(argc, argv, 1);
  if (cmd == "check-config") return cmd_check_config(argc, argv, 2);
  if (cmd == "ca") return cmd_ca(argc, argv, 2);
  if (cmd == "demo") {
    const Flags f = parse_flags(argc, argv, 2, {"log-level"}, {});
    if (f.help) return std::fputs("usage: mtls-sidecar demo\n  Runs the in-transit encryption demo in a temp dir; exit 0 if every step behaved.\n", stdout), 0;
    apply_log_level(f);
    return run_demo();
  }
  if (cmd == "version" || cmd == "--version") return std::printf("mtls-sidecar %s\n", kVersion), 0;
  if (cmd == "--help" || cmd == "-h" || cmd == "help") return std::fputs(kUsage, stdout), 0;
  std::fputs(kUsage, stderr);
  if (!cmd.empty()) std::fprintf(stderr, "\nunknown command: %s\n", cmd.c_str());
  return 2;
}

}  // namespace

int run_cli(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const config::Error& e) {
    for (const auto& issue : e.issues()) std::fprintf(stderr, "%s\n", issue.to_string().c_str());
    return 1;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "mtls-sidecar: %s (see --help)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtls-sidecar: %s\n", e.what());
    return 1;
  }
}

}  // namespace mtls::proxy
