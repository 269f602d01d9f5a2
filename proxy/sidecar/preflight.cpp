#include "proxy/sidecar/preflight.hpp"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "certs/aws/kms_envelope.hpp"
#include "certs/certificate_source.hpp"
#include "certs/load_error.hpp"
#include "certs/pem.hpp"
#include "certs/tls_contexts.hpp"
#include "certs/tls_policy.hpp"

namespace mtls::proxy {
namespace {

void check_identity_key(const std::string& path, const config::FileIdentity& file) {
  std::string pass = certs::read_passphrase(file.key_passphrase_file, file.key_passphrase_env);
  try {
    certs::load_private_key(path, pass);
  } catch (...) {
    OPENSSL_cleanse(pass.data(), pass.size());
    throw;
  }
  OPENSSL_cleanse(pass.data(), pass.size());
}

// Loads and validates what `run` would serve. A source stops at its first problem, so this
// reports at most one; the next check-config shows the next.
void check_identity(const config::Config& config, Preflight& out) {
  try {
    // check-config makes no network calls: a fetched staple is left to `run`.
    config::Config offline = config;
    offline.identity.file.ocsp_fetch = false;
    const std::unique_ptr<certs::CertificateSource> source = certs::make_source(offline);
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

// With a KMS-wrapped key or an ACM Private CA, loading would call AWS, which check-config does
// not do (it must work where the deployment's credentials are not): each file is read and
// parsed, and the checks that need the key or the CA's roots are left to `run`.
bool calls_aws(const config::Config& config) {
  return (config.identity.source == config::IdentitySource::file && config.identity.file.key_kms) ||
         !config.trust.acm_pca_arn.empty();
}

void check_without_aws(const config::Config& config, Preflight& out) {
  const auto check = [&](const std::string& field, const std::string& path, auto parse) {
    if (path.empty()) return;
    try {
      parse(path);
    } catch (const std::exception& e) {
      out.errors.push_back(config::issue_at(config, field, config::as_written(config, e.what())));
    }
  };
  const config::FileIdentity& file = config.identity.file;
  if (config.identity.source == config::IdentitySource::file) {
    check("identity.file.cert", file.cert,
          [](const std::string& p) { certs::load_certificates(p); });
    check("identity.file.key", file.key, [&](const std::string& p) {
      if (!file.key_kms) return check_identity_key(p, file);
      try {
        certs::aws::parse_envelope(certs::read_file(p));
      } catch (const std::exception& e) {
        throw std::runtime_error(p + ": " + e.what());
      }
    });
  }
  check("trust.ca_bundle", config.trust.ca_bundle,
        [](const std::string& p) { certs::load_certificates(p); });
}

// An acm identity exists only in AWS: check-config calls nothing (it runs in CI and on hosts
// without the task's role). What can be checked here is: the trust files, and that a region and
// endpoint resolve from the config and the environment. Credentials are looked for at run time.
void check_acm(const config::Config& config, Preflight& out) {
  try {
    certs::make_source(config);  // resolves region, endpoint, AWS_CA_BUNDLE; loads trust files
  } catch (const certs::LoadError& e) {
    out.errors.push_back(config::issue_at(config, e.field(), config::as_written(config, e.what())));
  } catch (const std::exception& e) {
    out.errors.push_back(config::issue_at(config, "identity.acm", e.what()));
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

// OpenSSL 3.0 servers never ask a client for its OCSP status: trust.ocsp checks the servers our
// outbound listeners (and HTTP upstreams) connect to, and nothing of inbound peers.
void check_ocsp_scope(const config::Config& config, Preflight& out) {
  if (config.trust.ocsp == config::OcspPolicy::off || !config.outbound.empty()) return;
  out.warnings.push_back(config::issue_at(
      config, "trust.ocsp",
      "warning: checks only the servers outbound listeners connect to; this config has none "
      "(clients do not staple OCSP responses to a server)"));
}

}  // namespace

std::vector<config::Issue> not_built(const config::Config& config) {
  std::vector<config::Issue> issues;
  // PKCS#11 keys are in the schema but not built: ignoring them would fail to find a "key file".
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
  check_ocsp_scope(config, out);
  check_secret_modes(config, out);
  // Each refused TLS setting at its own line; the contexts are only built with a usable policy.
  const std::vector<certs::PolicyProblem> policy = certs::check_tls_policy(config.tls);
  for (const certs::PolicyProblem& p : policy)
    out.errors.push_back(config::issue_at(config, p.field, p.message));
  // An acm source is built (its trust files read, no AWS call) before Sidecar does it, so that a
  // missing trust file is reported at its config line by run as by check-config; Sidecar::start
  // then loads nothing synchronously (the first export runs in the background).
  if (policy.empty() && config.identity.source == config::IdentitySource::acm)
    check_acm(config, out);
  return out;
}

Preflight preflight(const config::Config& config) {
  Preflight out = preflight_before_run(config);
  if (!certs::check_tls_policy(config.tls).empty()) return out;
  if (config.identity.source == config::IdentitySource::acm) {
    // checked by preflight_before_run
  } else if (calls_aws(config)) {
    check_without_aws(config, out);
  } else {
    check_identity(config, out);
  }
  return out;
}

}  // namespace mtls::proxy
