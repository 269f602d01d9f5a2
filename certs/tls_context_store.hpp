#pragma once
// Builds TLS contexts from a CertificateSource and publishes them (DESIGN.md §3). The publish
// function is given by proxy/ (it posts the pointer to every worker); certs/ knows no workers.
// A failed reload publishes nothing, so the old contexts keep serving.
// The store owns the inbound session cache (made once, so sessions survive identity reloads) and
// clears it when the trust changes, since no session made under the old trust can resume.
// Thread-safety: used from one thread only (the sidecar's loader thread).

#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "certs/certificate_source.hpp"
#include "certs/tls_contexts.hpp"

namespace mtls::certs {

struct ReloadResult {
  bool ok = false;
  std::string reason;  // empty when ok
  std::string field;   // the config field a load error names (certs::LoadError), if any
};

class TlsContextStore {
 public:
  using Publish = std::function<void(std::shared_ptr<const TlsContexts>)>;

  TlsContextStore(config::TlsConfig policy, Publish publish);

  ReloadResult reload(CertificateSource& source) noexcept;

  std::shared_ptr<const TlsContexts> current() const { return current_; }
  const ReloadResult& last_result() const { return last_; }
  std::time_t last_attempt() const { return last_attempt_; }

 private:
  config::TlsConfig policy_;
  Publish publish_;
  std::shared_ptr<ServerSessionCache> session_cache_;
  std::shared_ptr<const TlsContexts> current_;
  ReloadResult last_;
  std::time_t last_attempt_ = 0;
};

}  // namespace mtls::certs
