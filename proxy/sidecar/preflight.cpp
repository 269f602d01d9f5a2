#include "proxy/sidecar/preflight.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "certs/certificate_source.hpp"
#include "certs/load_error.hpp"
#include "certs/tls_contexts.hpp"
#include "certs/tls_policy.hpp"

namespace mtls::proxy {
namespace {

// Loads and validates what `run` would serve. A source stops at its first problem, so this
// reports at most one; the next check-config shows the next.
void check_identity(const config::Config& config, Preflight& out) {
  try {
    const std::unique_ptr<certs::CertificateSource> source = certs::make_source(config);
    const auto contexts = certs::make_tls_contexts(source->load(), config.tls);
    for (const std::string& warning : contexts->warnings) {
      out.warnings.push_back(
          config::issue_at(config, "trust.crl", "warning: " + config::as_written(config, warning)));
    }
  } catch (const certs::LoadError& e) {
    out.errors.push_back(load_issue(config, e.field(), e.what()));
  } catch (const std::exception& e) {
    out.errors.push_back(load_issue(config, {}, e.what()));
  }
}

std::string octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", unsigned(mode & 07777));
  return text;
}

// A private key others can write can be replaced by anyone on the host: refused. One others
// (or the group) can read is a leaked identity waiting to happen, yet common (Kubernetes Secret
// volumes default to 0644): a warning. Symlinks are followed: the mode that counts is the file's.
void check_secret_mode(const config::Config& config, const std::string& field,
                       const std::string& path, Preflight& out) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return;  // loading reports it
  const std::string file = config::as_written(config, path);
  if (st.st_mode & S_IWOTH) {
    out.errors.push_back(
        config::issue_at(config, field,
                         file + ": writable by others (mode " + octal(st.st_mode) +
                             "): anyone on this host could replace it; chmod 600 " + file));
  } else if (st.st_mode & (S_IRGRP | S_IROTH)) {
    out.warnings.push_back(config::issue_at(
        config, field,
        "warning: " + file + ": readable by " + (st.st_mode & S_IROTH ? "others" : "group") +
            " (mode " + octal(st.st_mode) + "); chmod 600 " + file));
  }
}

void check_secret_modes(const config::Config& config, Preflight& out) {
  const config::IdentityConfig& id = config.identity;
  if (id.source == config::IdentitySource::file) {
    check_secret_mode(config, "identity.file.key", id.file.key, out);
    check_secret_mode(config, "identity.file.key_passphrase_file", id.file.key_passphrase_file,
                      out);
  } else if (id.source == config::IdentitySource::local_ca) {
    const std::string ca_key = (std::filesystem::path(id.local_ca.dir) / "ca.key").string();
    check_secret_mode(config, "identity.local_ca.dir", ca_key, out);
    check_secret_mode(config, "identity.local_ca.key_passphrase_file",
                      id.local_ca.key_passphrase_file, out);
  }
}

}  // namespace

std::vector<config::Issue> not_built(const config::Config& config) {
  std::vector<config::Issue> issues;
  if (config.identity.source == config::IdentitySource::acm) {
    issues.push_back(config::issue_at(config, "identity.source",
                                      "source acm is not available in this build yet; use file "
                                      "or local_ca"));
  }
  // OCSP and PKCS#11 keys are in the schema but not built: ignoring them would serve without
  // the staple, accept peers without checking their status, or fail to find a "key file".
  if (config.identity.source == config::IdentitySource::file &&
      !config.identity.file.ocsp_response.empty()) {
    issues.push_back(config::issue_at(config, "identity.file.ocsp_response",
                                      "OCSP stapling is not available in this build yet"));
  }
  if (config.trust.ocsp != config::OcspPolicy::off) {
    issues.push_back(config::issue_at(config, "trust.ocsp",
                                      "checking peers' OCSP responses is not available in this "
                                      "build yet; use off (and trust.crl for revocation)"));
  }
  if (config.identity.source == config::IdentitySource::file &&
      config.identity.file.key.starts_with("pkcs11:")) {
    issues.push_back(config::issue_at(config, "identity.file.key",
                                      "PKCS#11 keys are not available in this build yet; use a "
                                      "PEM key file"));
  }
  return issues;
}

config::Issue load_issue(const config::Config& config, const std::string& field,
                         const std::string& message) {
  if (!field.empty()) return config::issue_at(config, field, config::as_written(config, message));
  // What is left is building the TLS contexts from a valid bundle: the cipher list, or a key
  // type OpenSSL will not serve.
  const bool ciphers = message.find("tls.cipher_suites") != std::string::npos;
  return config::issue_at(config, ciphers ? "tls.cipher_suites" : "identity",
                          config::as_written(config, message));
}

Preflight preflight_before_run(const config::Config& config) {
  Preflight out;
  out.errors = not_built(config);
  check_secret_modes(config, out);
  // Each refused TLS setting at its own line; the contexts are only built with a usable policy.
  for (const certs::PolicyProblem& p : certs::check_tls_policy(config.tls))
    out.errors.push_back(config::issue_at(config, p.field, p.message));
  return out;
}

Preflight preflight(const config::Config& config) {
  Preflight out = preflight_before_run(config);
  if (certs::check_tls_policy(config.tls).empty() &&
      config.identity.source != config::IdentitySource::acm)
    check_identity(config, out);
  return out;
}

}  // namespace mtls::proxy
