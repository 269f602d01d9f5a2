#include "certs/tls_context_store.hpp"

namespace mtls::certs {

TlsContextStore::TlsContextStore(config::TlsConfig policy, Publish publish)
    : policy_(std::move(policy)), publish_(std::move(publish)) {}

ReloadResult TlsContextStore::reload(CertificateSource& source) noexcept {
  last_attempt_ = std::time(nullptr);
  try {
    std::shared_ptr<const TlsContexts> fresh = make_tls_contexts(source.load(), policy_);
    publish_(fresh);
    current_ = std::move(fresh);
    last_ = {true, {}};
  } catch (const std::exception& e) {
    last_ = {false, e.what()};  // nothing published: the old identity keeps serving
  }
  return last_;
}

}  // namespace mtls::certs
