#include "proxy/preflight.hpp"

#include <string>

#include "certs/certificate_source.hpp"
#include "certs/load_error.hpp"
#include "certs/tls_contexts.hpp"

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
    out.errors.push_back(
        config::issue_at(config, e.field(), config::as_written(config, e.what())));
  } catch (const std::exception& e) {
    // What is left is building the TLS contexts from a valid bundle: the cipher list, or a key
    // type OpenSSL will not serve.
    const std::string message = e.what();
    const bool ciphers = message.find("tls.cipher_suites") != std::string::npos;
    out.errors.push_back(config::issue_at(config, ciphers ? "tls.cipher_suites" : "identity",
                                          config::as_written(config, message)));
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
  // HTTP mode (identity header, pooled upstream connections) is not built: relaying bytes
  // without the header an app configured for it expects would fail silently.
  const auto refuse_http = [&](const std::string& path, const std::string& name,
                               config::Protocol protocol) {
    if (protocol != config::Protocol::http) return;
    issues.push_back(config::issue_at(config, path + ".protocol",
                                      "listener " + name + ": protocol http is not available in "
                                      "this build yet; use protocol: tcp"));
  };
  for (std::size_t i = 0; i < config.inbound.size(); ++i)
    refuse_http("inbound[" + std::to_string(i) + "]", config.inbound[i].name,
                config.inbound[i].protocol);
  for (std::size_t i = 0; i < config.outbound.size(); ++i)
    refuse_http("outbound[" + std::to_string(i) + "]", config.outbound[i].name,
                config.outbound[i].protocol);
  return issues;
}

Preflight preflight(const config::Config& config) {
  Preflight out;
  out.errors = not_built(config);
  if (config.identity.source != config::IdentitySource::acm) check_identity(config, out);
  return out;
}

}  // namespace mtls::proxy
