#include "proxy/sidecar/cli_commands.hpp"

#include <openssl/crypto.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "certs/aws_backed.hpp"
#include "certs/load_error.hpp"
#include "certs/local_ca.hpp"
#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "config/config.hpp"
#include "metrics/log.hpp"
#include "metrics/status_text.hpp"
#include "proxy/demo/demo.hpp"
#include "proxy/sidecar/http_probe.hpp"
#include "proxy/sidecar/listen_error.hpp"
#include "proxy/sidecar/preflight.hpp"
#include "proxy/sidecar/sandbox.hpp"
#include "proxy/sidecar/seccomp.hpp"
#include "proxy/sidecar/sidecar.hpp"
#include "proxy/sidecar/version.hpp"

namespace mtls::proxy {
namespace {

// Passphrases are wiped as soon as the CA key is decrypted.
struct Passphrase {
  explicit Passphrase(const std::string& file) : text(certs::read_passphrase(file, "")) {}
  ~Passphrase() { OPENSSL_cleanse(text.data(), text.size()); }
  std::string text;
};

// An issued key silently replacing one a sidecar serves with is a surprise nobody wants.
void refuse_overwrite(const std::string& out) {
  for (const char* name : {"tls.crt", "tls.key"}) {
    const std::filesystem::path path = std::filesystem::path(out) / name;
    std::error_code ec;
    if (std::filesystem::exists(path, ec))
      throw std::runtime_error(path.string() + ": already exists; use --force to replace it");
  }
}

// check-config and run report the same way; run logs the warnings, check-config prints them.
void report(Preflight checked, bool log_warnings) {
  for (const config::Issue& warning : checked.warnings) {
    if (log_warnings)
      log::warn(warning.to_string());
    else
      std::fprintf(stderr, "%s\n", warning.to_string().c_str());
  }
  if (!checked.errors.empty()) throw config::Error(std::move(checked.errors));
}

}  // namespace

void apply_log_level(const std::string& level) {
  log::Level parsed;
  if (!level.empty() && log::parse_level(level, parsed)) log::set_level(parsed);
}

int cmd_run(const std::string& config_path) {
  config::Config cfg = config::load_file(config_path);
  log::info(std::string("mtls-sidecar ") + kVersion + " starting with " + cfg.path);
  // The key's passphrase leaves the environment (and /proc/PID/environ) before anything else
  // runs; the pre-flight load and every reload read it from memory.
  certs::take_passphrase_env(cfg.identity.file.key_passphrase_env);
  certs::take_passphrase_env(cfg.identity.local_ca.key_passphrase_env);
  report(preflight_before_run(cfg), true);  // Sidecar::start loads the identity
  // Least privilege (proxy/sidecar/sandbox.hpp): the sandbox before any thread exists, the user
  // switch once the ports are bound, then seccomp (proxy/sidecar/seccomp.hpp).
  const sandbox::Plan plan = sandbox::make_plan(cfg);
  // An acm source reads its trust files as it is built (no AWS call yet): a bad one at its line.
  std::unique_ptr<Sidecar> made;
  try {
    made = std::make_unique<Sidecar>(cfg, SidecarOptions{.handle_signals = true});
  } catch (const certs::LoadError& e) {
    throw config::Error({load_issue(cfg, e.field(), e.what())});
  }
  Sidecar& sidecar = *made;
  // Start-up failures at the config line they stem from, as check-config reports them. The
  // identity loads before the sandbox, as check-config loads it: a missing file is "No such file",
  // not Landlock's "Permission denied".
  try {
    sidecar.load_identity();
    log::info(sandbox::restrict_filesystem(plan).detail);
    sidecar.start();
  } catch (const ListenError& e) {  // at the address
    throw config::Error({config::issue_at(sidecar.config(), e.field(), e.what())});
  } catch (const certs::LoadError& e) {  // at the field naming the file
    throw config::Error({load_issue(sidecar.config(), e.field(), e.what())});
  }
  sandbox::drop_privileges(plan);
  if (!plan.user.empty()) log::info("running as user " + plan.user);
  // Last, the system call allow-list: after the calls only start-up makes (bind, set*id, the
  // dlopen of engines and NSS modules), binding every thread that exists by now. Not in sanitizer
  // builds: under the filter their runtime's exit-time work (LeakSanitizer's tracer) hung `run`
  // at exit in CI's ASan stage. The filter itself is tested in every build (proxy_seccomp_test),
  // and `run` with it in the release build (ctest seccomp_run).
  if (!cfg.sandbox.seccomp)
    log::info("seccomp: off (sandbox.seccomp: false)");
  else if (sandbox::plan_includes_own_proc())
    log::info("seccomp: not installed in a sanitizer build");
  else
    log::info(seccomp::install().detail);
  std::string why;
  log::info(sidecar.ready(why) ? "ready" : "started; not ready yet: " + why);
  sidecar.wait();
  sidecar.stop();
  log::info("stopped");
  return 0;
}

int cmd_check_config(const std::string& config_path, bool schema_only) {
  const config::Config cfg = config::load_file(config_path);
  if (!schema_only) report(preflight(cfg), false);
  std::printf("%s: ok (%zu inbound, %zu outbound listeners%s)\n", config_path.c_str(),
              cfg.inbound.size(), cfg.outbound.size(), schema_only ? "; schema only" : "");
  return 0;
}

int cmd_ca_init(const CaInitFlags& f) {
  const Passphrase pass(f.passphrase_file);
  const auto ca = certs::LocalCa::init(f.dir, f.trust_domain, pass.text, f.force);
  std::printf("created CA %s in %s (ca.crt, ca.key mode 0600)\n",
              certs::subject_text(ca.certificate()).c_str(), ca.dir().c_str());
  return 0;
}

int cmd_ca_issue(const CaIssueFlags& f) {
  config::Duration ttl{};
  std::string why;
  if (!config::parse_duration(f.ttl, ttl, why)) throw std::invalid_argument("--ttl: " + why);
  if (!f.force) refuse_overwrite(f.out);
  const Passphrase pass(f.passphrase_file);
  const auto ca = certs::LocalCa::open(f.dir, pass.text);
  certs::LeafRequest req;
  req.spiffe_id = f.spiffe_id;
  req.dns_names = f.dns_names;
  req.ttl = std::chrono::duration_cast<std::chrono::seconds>(ttl);
  const auto issued = ca.issue(req);
  certs::write_issued(f.out, issued, ca.certificate());
  const std::string& who = f.spiffe_id.empty() ? f.dns_names.front() : f.spiffe_id;
  std::printf("issued %s serial %s -> %s/tls.crt, %s/tls.key\n", who.c_str(),
              certs::serial_hex(issued.cert.get()).c_str(), f.out.c_str(), f.out.c_str());
  return 0;
}

// The plaintext key is read, wrapped in memory and wiped; only the envelope is written.
int cmd_kms_wrap(const KmsWrapFlags& f) {
  std::error_code ec;
  if (!f.force && std::filesystem::exists(f.out, ec))
    throw std::runtime_error(f.out + ": already exists; use --force to replace it");
  certs::aws::EncryptionContext context =
      f.context.empty() ? certs::aws::kDefaultContext : certs::aws::EncryptionContext{};
  for (const std::string& pair : f.context) {
    const std::size_t eq = pair.find('=');
    if (eq == 0 || eq == std::string::npos)
      throw std::invalid_argument("--context " + pair + ": expected KEY=VALUE");
    context[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  const Passphrase pass(f.passphrase_file);
  const certs::EvpPkeyPtr key = certs::load_private_key(f.in, pass.text);
  certs::AwsBacked aws(certs::aws::process_environment());
  const std::string envelope = aws.wrap_key(key.get(), f.key_id, f.region, context);
  certs::write_file(f.out, envelope, 0600);
  std::printf(
      "wrapped %s with KMS key %s -> %s (mode 0600); serve it with identity.file.key: %s "
      "and key_kms: true\n",
      f.in.c_str(), certs::aws::parse_envelope(envelope).key_id.c_str(), f.out.c_str(),
      f.out.c_str());
  return 0;
}

int cmd_demo(bool netns) { return netns ? run_netns_demo() : run_demo(); }

int cmd_status(const std::string& admin_url) {
  const ProbeTarget target = status_target(admin_url);
  const HttpProbeResult r = http_probe(target, std::chrono::seconds(5));
  if (!r.ok)
    throw std::runtime_error("http://" + target.address.to_string() + "/status: " + r.detail);
  std::fputs(metrics::status_text(r.body).c_str(), stdout);
  return 0;
}

int cmd_probe(const ProbeFlags& f) {
  config::Duration timeout{};
  std::string why;
  if (!config::parse_duration(f.timeout, timeout, why))
    throw std::invalid_argument("--timeout: " + why);
  ProbeTarget target;
  if (!parse_probe_url(f.url, f.allow_remote, target, why)) {
    std::fprintf(stderr, "mtls-sidecar: probe: %s: %s (see --help)\n", f.url.c_str(), why.c_str());
    return 2;
  }
  const HttpProbeResult r = http_probe(target, timeout);
  if (r.ok) {
    std::printf("%s: %s\n", f.url.c_str(), r.detail.c_str());
    return 0;
  }
  std::fprintf(stderr, "mtls-sidecar: probe: %s: %s\n", f.url.c_str(), r.detail.c_str());
  return 1;
}

}  // namespace mtls::proxy
