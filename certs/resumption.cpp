#include "certs/resumption.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <cstdint>

#include "certs/x509_fields.hpp"

namespace mtls::certs {
namespace {

using std::chrono::milliseconds;

// The bound is kept in the ex_data pointer itself (milliseconds since the epoch): no allocation,
// nothing to free, and OpenSSL's ex_data duplication copies it as it is.
static_assert(sizeof(void*) >= sizeof(std::int64_t), "the deadline is stored in a pointer");

int deadline_index() {
  static const int index = SSL_SESSION_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::int64_t to_ms(WallClock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

void stamp_resume_deadline(SSL_SESSION* session, milliseconds max_age, WallClock::time_point now,
                           std::time_t staple_next_update) {
  if (session == nullptr || resume_deadline(session) != WallClock::time_point{}) return;
  WallClock::time_point deadline = now + max_age;
  if (staple_next_update != 0)
    deadline = std::min(deadline, WallClock::from_time_t(staple_next_update));
  if (X509* leaf = SSL_SESSION_get0_peer(session)) {
    deadline = std::min(deadline, WallClock::from_time_t(to_time_t(X509_get0_notAfter(leaf))));
  }
  const std::int64_t ms = std::max<std::int64_t>(to_ms(deadline), 1);  // 0 means "not stamped"
  SSL_SESSION_set_ex_data(session, deadline_index(),
                          reinterpret_cast<void*>(static_cast<std::uintptr_t>(ms)));
}

WallClock::time_point resume_deadline(const SSL_SESSION* session) {
  const auto raw =
      reinterpret_cast<std::uintptr_t>(SSL_SESSION_get_ex_data(session, deadline_index()));
  return WallClock::time_point(milliseconds(static_cast<std::int64_t>(raw)));
}

bool may_resume(const SSL_SESSION* session, WallClock::time_point now) {
  const WallClock::time_point deadline = resume_deadline(session);
  return deadline != WallClock::time_point{} && now < deadline;
}

ResumedCheck check_resumed_peer(SSL* ssl, const std::vector<CrlInfo>& crls, bool accept_stale_crl,
                                std::time_t now) {
  using metrics::HandshakeReason;
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) return {HandshakeReason::no_peer_cert, "the resumed session has no peer"};
  // The deadline keeps an expired leaf from resuming; this also holds when a clock jumped.
  if (X509_cmp_time(X509_get0_notAfter(leaf), &now) <= 0)
    return {HandshakeReason::expired, "resumed session: the peer certificate has expired"};
  if (X509_cmp_time(X509_get0_notBefore(leaf), &now) > 0)
    return {HandshakeReason::not_yet_valid,
            "resumed session: the peer certificate is not yet valid"};
  if (accept_stale_crl) return {};
  // A full handshake would refuse the peer for a stale CRL (OpenSSL's CRL checks); a resumed one
  // runs none, so the CRLs of every issuer on the peer's chain are looked at here.
  if (has_stale_crl(crls, leaf, now))
    return {HandshakeReason::crl_stale,
            "resumed session: the CRL of the peer's issuer is past its nextUpdate"};
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      if (has_stale_crl(crls, sk_X509_value(chain, i), now))
        return {HandshakeReason::crl_stale,
                "resumed session: a CRL of the peer's chain is past its nextUpdate"};
    }
  }
  return {};
}

}  // namespace mtls::certs
