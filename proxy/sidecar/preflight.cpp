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
#include "certs/pkcs11_key.hpp"
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

// A token's PIN unlocks its key: its file is checked like a key file, and a PIN written in the
// config (which is shared, logged and committed more freely than a secret) is a warning.
void check_pkcs11_pin(const config::Config& config, Preflight& out) {
  certs::Pkcs11Uri uri;
  try {
    uri = certs::parse_pkcs11_uri(config.identity.file.key);
  } catch (const std::exception&) {
    return;  // loading reports it
  }
  check_secret_mode(config, "identity.file.key", uri.pin_file, out);
  if (!uri.pin_value.empty()) {
    out.warnings.push_back(config::issue_at(
        config, "identity.file.key",
        "warning: pin-value puts the token's PIN in the config; prefer pin-source=file:PATH "
        "(a file of mode 0600)"));
  }
}

void check_secret_modes(const config::Config& config, Preflight& out) {
  const config::IdentityConfig& id = config.identity;
  if (id.source == config::IdentitySource::file && certs::is_pkcs11_uri(id.file.key)) {
    check_pkcs11_pin(config, out);
  } else if (id.source == config::IdentitySource::file) {
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
  check_ocsp_scope(config, out);
  check_secret_modes(config, out);
  // Each refused TLS setting at its own line; the contexts are only built with a usable policy.
  const std::vector<certs::PolicyProblem> policy = certs::check_tls_policy(config.tls);
  for (const certs::PolicyProblem& p : policy)
    out.errors.push_back(config::issue_at(config, p.field, p.message));
  return out;
}

Preflight preflight(const config::Config& config) {
  Preflight out = preflight_before_run(config);
  if (!certs::check_tls_policy(config.tls).empty()) return out;
  if (config.identity.source == config::IdentitySource::acm) {
    check_acm(config, out);  // run builds the same source in Sidecar's constructor
  } else if (calls_aws(config)) {
    check_without_aws(config, out);
  } else {
    check_identity(config, out);
  }
  return out;
}

}  // namespace mtls::proxy
