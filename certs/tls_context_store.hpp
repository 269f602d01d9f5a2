#pragma once
// Builds TLS contexts from a CertificateSource and publishes them (DESIGN.md §3). The publish
// function is given by proxy/ (it posts the pointer to every worker); certs/ knows no workers.
// A failed reload publishes nothing, so the old contexts keep serving.
// The store owns the session ticket keys (made once, so tickets survive identity reloads) and
// keeps the last good bundle, so rotating the keys republishes the same identity with new keys.
// Thread-safety: used only from the control thread.

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "certs/certificate_source.hpp"
#include "certs/tls_contexts.hpp"

namespace mtls::certs {

struct ReloadResult {
  bool ok = false;
  std::string reason;  // empty when ok
};

class TlsContextStore {
 public:
  using Publish = std::function<void(std::shared_ptr<const TlsContexts>)>;

  TlsContextStore(config::TlsConfig policy, Publish publish);

  ReloadResult reload(CertificateSource& source) noexcept;
  // New ticket keys (the previous ones still decrypt), published with the current identity.
  // False, with nothing published, when nothing is loaded or the identity no longer validates.
  ReloadResult rotate_ticket_keys() noexcept;

  std::shared_ptr<const TlsContexts> current() const { return current_; }
  const ReloadResult& last_result() const { return last_; }
  std::time_t last_attempt() const { return last_attempt_; }

 private:
  config::TlsConfig policy_;
  Publish publish_;
  std::shared_ptr<const SessionTicketKeys> ticket_keys_;
  std::optional<CertificateBundle> bundle_;  // what current_ was built from
  std::shared_ptr<const TlsContexts> current_;
  ReloadResult last_;
  std::time_t last_attempt_ = 0;
};

}  // namespace mtls::certs
