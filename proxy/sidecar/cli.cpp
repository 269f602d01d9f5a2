// The command line (DESIGN.md §5) on CLI11: subcommands, typed options with defaults, generated
// help. This file only declares the commands and maps outcomes to exit codes; the commands
// themselves are in cli_commands.cpp.

#include "proxy/sidecar/cli.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "proxy/sidecar/cli_commands.hpp"
#include "proxy/sidecar/version.hpp"

namespace mtls::proxy {
namespace {

constexpr const char* kLevels = "debug, info, warn or error";

// Validators turn a bad value into a usage error (exit 2) that names the flag.
const CLI::Validator kDuration(
    [](const std::string& text) {
      config::Duration d{};
      std::string why;
      return config::parse_duration(text, d, why) ? std::string() : why;
    },
    "", "duration");
const CLI::Validator kLogLevel = CLI::IsMember({"debug", "info", "warn", "error"});

void add_log_level(CLI::App& app, std::string& level) {
  app.add_option("--log-level", level, std::string("log verbosity: ") + kLevels)
      ->check(kLogLevel)
      ->type_name("LEVEL")
      ->default_str("info");
}

// Every flag of every command: filled by parsing, read by the command that ran.
struct Flags {
  std::string config;
  std::string log_level;
  bool schema_only = false;
  bool demo_netns = false;
  CaInitFlags ca_init;
  CaIssueFlags ca_issue;
  std::string admin = "http://127.0.0.1:9901";
  ProbeFlags probe;
  KmsWrapFlags kms_wrap;
};

struct Commands {
  CLI::App* run;
  CLI::App* check_config;
  CLI::App* ca;
  CLI::App* ca_init;
  CLI::App* ca_issue;
  CLI::App* kms_wrap;
  CLI::App* demo;
  CLI::App* status;
  CLI::App* probe;
  CLI::App* version;
};

Commands declare(CLI::App& app, Flags& f) {
  Commands c{};
  app.add_option("--config", f.config, "short for `run --config FILE`")->type_name("FILE");
  add_log_level(app, f.log_level);
  app.set_version_flag("--version", std::string("mtls-sidecar ") + kVersion);

  c.run = app.add_subcommand("run", "run the sidecar until SIGTERM/SIGINT (SIGHUP reloads)");
  c.run->add_option("--config", f.config, "the YAML config (reference: config/README.md)")
      ->type_name("FILE")
      ->required();
  add_log_level(*c.run, f.log_level);
  c.run->footer(
      "Exit codes: 0 stopped by a signal, 1 config or start-up error, 2 usage.\n"
      "Example:\n  mtls-sidecar run --config sidecar.yaml --log-level debug");

  c.check_config = app.add_subcommand(
      "check-config",
      "load and validate a config and every file it names, as `run` would, without starting");
  c.check_config->add_option("--config", f.config, "the YAML config to check")
      ->type_name("FILE")
      ->required();
  c.check_config->add_flag("--schema-only", f.schema_only,
                           "check the YAML only, not the files it names nor what this build "
                           "lacks: for configs whose files exist only where they are deployed "
                           "(default: check everything run checks)");
  c.check_config->footer(
      "Prints FILE:LINE:COL: field.path: message for each problem; exit 0 ok, 1 problems.\n"
      "Example:\n  mtls-sidecar check-config --config sidecar.yaml");

  c.ca = app.add_subcommand("ca", "a local CA for demos and development: init, issue");
  c.ca->footer("Example:\n  mtls-sidecar ca init --dir ca --trust-domain demo.local");

  c.ca_init = c.ca->add_subcommand("init", "create a CA (ca.crt, ca.key mode 0600) in a directory");
  CaInitFlags& init = f.ca_init;
  c.ca_init->add_option("--dir", init.dir, "directory to create the CA in (made mode 0700)")
      ->type_name("DIR")
      ->required();
  c.ca_init
      ->add_option("--trust-domain", init.trust_domain,
                   "SPIFFE trust domain the CA issues identities for")
      ->type_name("NAME")
      ->default_val("demo.local");
  c.ca_init
      ->add_option("--passphrase-file", init.passphrase_file,
                   "encrypt ca.key with the passphrase in this file (default: unencrypted)")
      ->type_name("FILE");
  c.ca_init->add_flag("--force", init.force, "replace an existing CA in DIR (default: refuse)");
  c.ca_init->footer(
      "Keep DIR away from the directories a sidecar reads: whoever reads ca.key\n"
      "can mint any identity of the trust domain.\n"
      "Example:\n  mtls-sidecar ca init --dir ca --trust-domain demo.local");

  c.ca_issue =
      c.ca->add_subcommand("issue", "issue a certificate and key (tls.crt, tls.key) from the CA");
  CaIssueFlags& issue = f.ca_issue;
  c.ca_issue->add_option("--dir", issue.dir, "the CA directory (from ca init)")
      ->type_name("DIR")
      ->required();
  c.ca_issue
      ->add_option("--spiffe-id", issue.spiffe_id,
                   "URI SAN, spiffe://TRUST-DOMAIN/PATH (default: none, DNS-only "
                   "certificate; --dns is then required)")
      ->type_name("URI");
  c.ca_issue->add_option("--dns", issue.dns_names, "DNS SAN; repeat for several (default: none)")
      ->type_name("NAME");
  c.ca_issue
      ->add_option("--out", issue.out, "directory to write tls.crt and tls.key (mode 0600) to")
      ->type_name("DIR")
      ->required();
  c.ca_issue->add_option("--ttl", issue.ttl, "lifetime of the certificate (ms, s, m, h, d)")
      ->check(kDuration)
      ->type_name("DURATION")
      ->default_val("24h");
  c.ca_issue
      ->add_option("--passphrase-file", issue.passphrase_file,
                   "passphrase of an encrypted ca.key (default: ca.key is unencrypted)")
      ->type_name("FILE");
  c.ca_issue->add_flag("--force", issue.force,
                       "replace tls.crt/tls.key already in --out (default: refuse)");
  c.ca_issue->footer(
      "Example:\n  mtls-sidecar ca issue --dir ca --spiffe-id "
      "spiffe://demo.local/ns/default/sa/orders \\\n"
      "      --dns orders.local --out orders");

  c.kms_wrap = app.add_subcommand(
      "kms-wrap", "encrypt a private key for rest under a KMS data key (identity.file.key_kms)");
  KmsWrapFlags& wrap = f.kms_wrap;
  c.kms_wrap
      ->add_option("--key-id", wrap.key_id,
                   "KMS key to wrap the data key with: key ARN, key id, alias/NAME or alias ARN")
      ->type_name("ARN|ALIAS")
      ->required();
  c.kms_wrap->add_option("--in", wrap.in, "the PEM private key to protect (left as it is)")
      ->type_name("FILE")
      ->required();
  c.kms_wrap->add_option("--out", wrap.out, "the envelope to write (mode 0600)")
      ->type_name("FILE")
      ->required();
  c.kms_wrap
      ->add_option("--region", wrap.region,
                   "AWS region of the key (default: the key ARN's, else AWS_REGION, "
                   "AWS_DEFAULT_REGION or the profile's)")
      ->type_name("REGION");
  c.kms_wrap
      ->add_option("--context", wrap.context,
                   "KMS encryption context pair; repeat for several (default: "
                   "purpose=mtls-sidecar-tls-key)")
      ->type_name("KEY=VALUE");
  c.kms_wrap
      ->add_option("--passphrase-file", wrap.passphrase_file,
                   "passphrase of an encrypted --in (default: --in is unencrypted)")
      ->type_name("FILE");
  c.kms_wrap->add_flag("--force", wrap.force, "replace --out if it exists (default: refuse)");
  c.kms_wrap->footer(
      "Calls KMS GenerateDataKey (needs kms:GenerateDataKey on the key; the sidecar needs\n"
      "kms:Decrypt). Credentials and endpoint as the AWS SDKs find them (AWS_ENDPOINT_URL_KMS,\n"
      "AWS_CA_BUNDLE). The plaintext key is never written; delete --in once the sidecar serves.\n"
      "Example:\n  mtls-sidecar kms-wrap --key-id alias/mtls-sidecar --in orders/tls.key "
      "--out orders/tls.key.kms");

  c.demo = app.add_subcommand(
      "demo", "the in-transit encryption demo: a throwaway CA, a pair of sidecars and a wire tap");
  add_log_level(*c.demo, f.log_level);
  c.demo->add_flag("--netns", f.demo_netns,
                   "run the story across network namespaces (hosts A, B and an attacker X on a "
                   "bridge, 198.18.0.0/24) with tcpdump on the bridge; root only, needs ip and "
                   "tcpdump (default: in-process, on 127.0.0.1)");
  c.demo->footer(
      "Needs no files; exit 0 if every step behaved, 1 if one did not, 2 if --netns cannot run\n"
      "here (not root, ip or tcpdump missing). --netns deletes its namespaces and files on\n"
      "every exit, Ctrl-C included.\n"
      "Example:\n  mtls-sidecar demo\n  sudo mtls-sidecar demo --netns");

  c.status = app.add_subcommand(
      "status", "print a running sidecar's status page as terminal tables (from GET /status)");
  c.status->add_option("--admin", f.admin, "the sidecar's admin address")
      ->type_name("URL")
      ->default_str(f.admin);
  c.status->footer(
      "Exit 1 when the admin port does not answer.\nExample:\n"
      "  kubectl exec POD -c mtls-sidecar -- mtls-sidecar status --admin http://127.0.0.1:9901");
  c.probe = app.add_subcommand(
      "probe", "GET an http URL, exit 0 on a 2xx status: a health check for images without curl");
  c.probe
      ->add_option("url", f.probe.url, "http://IP:PORT/PATH; a loopback IP unless --allow-remote")
      ->type_name("URL")
      ->required();
  c.probe->add_option("--timeout", f.probe.timeout, "connect, send and status line within this")
      ->check(kDuration)
      ->type_name("DURATION")
      ->default_val("2s");
  c.probe->add_flag("--allow-remote", f.probe.allow_remote,
                    "allow an address off loopback (default: loopback only, the container's own "
                    "admin port)");
  c.probe->footer(
      "Exit codes: 0 a 2xx status, 1 any other status, no answer or a refused connection (the\n"
      "reason on stderr), 2 usage (a URL that is not http://IP:PORT/...).\n"
      "Example:\n  mtls-sidecar probe http://127.0.0.1:9901/ready");

  c.version = app.add_subcommand("version", "print the version");
  c.version->footer("Example:\n  mtls-sidecar version");

  // Unknown words are collected (not rejected by CLI11) so they can be named as a command.
  app.allow_extras();
  c.ca->allow_extras();
  app.footer(
      "`mtls-sidecar --config FILE` is short for `run --config FILE`.\n"
      "Every command answers --help. Exit codes: 0 ok, 1 failure, 2 usage.\n"
      "Example:\n  mtls-sidecar check-config --config sidecar.yaml && "
      "mtls-sidecar run --config sidecar.yaml");
  return c;
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "mtls-sidecar: %s (see --help)\n", message.c_str());
  return 2;
}

int dispatch(CLI::App& app, const Commands& c, Flags& f) {
  if (!app.remaining().empty() && app.get_subcommands().empty())
    return usage_error("unknown command \"" + app.remaining().front() + "\"");
  if (!app.remaining().empty())
    return usage_error("unexpected \"" + app.remaining().front() + "\"");
  apply_log_level(f.log_level);
  if (c.run->parsed()) return cmd_run(f.config);
  if (c.check_config->parsed()) return cmd_check_config(f.config, f.schema_only);
  if (c.ca->parsed()) {
    if (!c.ca->remaining().empty() && c.ca->get_subcommands().empty())
      return usage_error("ca: unknown subcommand \"" + c.ca->remaining().front() +
                         "\"; expected init or issue");
    if (!c.ca->remaining().empty())
      return usage_error("ca: unexpected \"" + c.ca->remaining().front() + "\"");
    if (c.ca_init->parsed()) return cmd_ca_init(f.ca_init);
    if (c.ca_issue->parsed()) {
      if (f.ca_issue.spiffe_id.empty() && f.ca_issue.dns_names.empty())
        return usage_error("ca issue: --dns is required when --spiffe-id is left out");
      return cmd_ca_issue(f.ca_issue);
    }
    return usage_error("ca: missing subcommand; expected init or issue");
  }
  if (c.kms_wrap->parsed()) return cmd_kms_wrap(f.kms_wrap);
  if (c.demo->parsed()) return cmd_demo(f.demo_netns);
  if (c.status->parsed()) return cmd_status(f.admin);
  if (c.probe->parsed()) return cmd_probe(f.probe);
  if (c.version->parsed()) return std::printf("mtls-sidecar %s\n", kVersion), 0;
  if (!f.config.empty()) return cmd_run(f.config);
  std::fputs(app.help().c_str(), stderr);
  return 2;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app("mtls-sidecar: mutual TLS for plaintext services, in and out", "mtls-sidecar");
  Flags flags;
  const Commands commands = declare(app, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }
  try {
    return dispatch(app, commands, flags);
  } catch (const config::Error& e) {
    for (const auto& issue : e.issues()) std::fprintf(stderr, "%s\n", issue.to_string().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtls-sidecar: %s\n", e.what());
    return 1;
  }
}

}  // namespace mtls::proxy
