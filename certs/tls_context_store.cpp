#include "certs/tls_context_store.hpp"

namespace mtls::certs {

TlsContextStore::TlsContextStore(config::TlsConfig policy, Publish publish)
    : policy_(std::move(policy)),
      publish_(std::move(publish)),
      ticket_keys_(SessionTicketKeys::generate()) {}

ReloadResult TlsContextStore::reload(CertificateSource& source) noexcept {
  last_attempt_ = std::time(nullptr);
  try {
    CertificateBundle bundle = source.load();
    std::shared_ptr<const TlsContexts> fresh = make_tls_contexts(bundle, policy_, ticket_keys_);
    publish_(fresh);
    current_ = std::move(fresh);
    bundle_ = std::move(bundle);
    last_ = {true, {}};
  } catch (const std::exception& e) {
    last_ = {false, e.what()};  // nothing published: the old identity keeps serving
  }
  return last_;
}

ReloadResult TlsContextStore::rotate_ticket_keys() noexcept {
  if (!bundle_) return {false, "no identity loaded"};
  try {
    std::shared_ptr<const SessionTicketKeys> keys = ticket_keys_->rotated();
    std::shared_ptr<const TlsContexts> fresh = make_tls_contexts(*bundle_, policy_, keys);
    publish_(fresh);
    current_ = std::move(fresh);
    ticket_keys_ = std::move(keys);
    return {true, {}};
  } catch (const std::exception& e) {
    return {false, e.what()};  // the old keys keep serving, and are used by the next reload
  }
}

}  // namespace mtls::certs
