#include "certs/tls_context_store.hpp"

#include "certs/load_error.hpp"

namespace mtls::certs {

TlsContextStore::TlsContextStore(config::TlsConfig policy, Publish publish)
    : policy_(std::move(policy)),
      publish_(std::move(publish)),
      session_cache_(std::make_shared<ServerSessionCache>(ServerSessionCache::kDefaultCapacity,
                                                          policy_.session_max_age)) {}

ReloadResult TlsContextStore::reload(CertificateSource& source) noexcept {
  last_attempt_ = std::time(nullptr);
  try {
    CertificateBundle bundle = source.load();
    std::shared_ptr<const TlsContexts> fresh = make_tls_contexts(bundle, policy_, session_cache_);
    publish_(fresh);
    // session_id_context already keeps old sessions from resuming; this gives back their memory.
    if (current_ && current_->trust_digest != fresh->trust_digest) session_cache_->clear();
    current_ = std::move(fresh);
    last_ = {true, {}};
  } catch (const LoadError& e) {
    last_ = {false, e.what(), e.field()};  // nothing published: the old identity keeps serving
  } catch (const std::exception& e) {
    last_ = {false, e.what()};
  }
  return last_;
}

}  // namespace mtls::certs
