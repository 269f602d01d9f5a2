#pragma once
// The bodies of the command-line commands (proxy/sidecar/cli.cpp declares their flags). Each
// returns the process exit code: 0 ok, 1 failure; config and start-up problems are printed to
// stderr.

#include <string>
#include <vector>

namespace mtls::proxy {

struct CaInitFlags {
  std::string dir;
  std::string trust_domain;
  std::string passphrase_file;
  bool force = false;
};

struct CaIssueFlags {
  std::string dir;
  std::string spiffe_id;  // empty: a DNS-only certificate
  std::vector<std::string> dns_names;
  std::string out;
  std::string ttl;  // already checked by the parser
  std::string passphrase_file;
  bool force = false;
};

struct ProbeFlags {
  std::string url;
  std::string timeout;  // already checked by the parser
  bool allow_remote = false;
};

struct KmsWrapFlags {
  std::string key_id;  // ARN, key id or alias/NAME
  std::string in;
  std::string out;
  std::string region;                // empty: the key ARN's, else AWS_REGION ...
  std::vector<std::string> context;  // KEY=VALUE; empty: purpose=mtls-sidecar-tls-key
  std::string passphrase_file;       // of an encrypted --in
  bool force = false;
};

void apply_log_level(const std::string& level);  // "" leaves the default
int cmd_run(const std::string& config_path);
int cmd_check_config(const std::string& config_path, bool schema_only);
int cmd_ca_init(const CaInitFlags& flags);
int cmd_ca_issue(const CaIssueFlags& flags);
int cmd_kms_wrap(const KmsWrapFlags& flags);
int cmd_demo(bool netns);                      // netns: across network namespaces (root)
int cmd_status(const std::string& admin_url);  // "http://HOST:PORT"
int cmd_probe(const ProbeFlags& flags);

}  // namespace mtls::proxy
