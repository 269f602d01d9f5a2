#include "proxy/session.hpp"

#include "certs/peer_recheck.hpp"
#include "metrics/log.hpp"
#include "proxy/listener.hpp"
#include "proxy/socket_state.hpp"
#include "proxy/upstream_tls.hpp"

namespace mtls::proxy {
using metrics::HandshakeReason;

Session::Session(Listener& listener, Worker& worker)
    : listener_(listener),
      worker_(worker),
      counters_(worker.counters(listener.spec().index)),
      contexts_(worker.contexts()),
      started_(Clock::now()) {
  counters_.connections.add();
  counters_.active.add(1);
}

Session::~Session() {
  counters_.active.add(-1);
  listener_.session_ended();
}

void Session::enter(Phase phase) {
  phase_ = phase;
  phase_started_ = Clock::now();
  fixed_deadline_ = false;
  const config::Limits& l = worker_.limits();
  switch (phase) {
    case Phase::connect:
      deadline_ = phase_started_ + l.connect_timeout;
      break;
    case Phase::handshake:
      deadline_ = phase_started_ + l.handshake_timeout;
      break;
    case Phase::relay:
      deadline_ = phase_started_ + l.idle_timeout;
      break;
    case Phase::done:
      break;
  }
}

void Session::on_tick(Clock::time_point now) {
  // A connection outlives certificates and revocations; max_connection_age bounds how long.
  const config::Duration max_age = worker_.limits().max_connection_age;
  if (max_age > config::Duration::zero() && phase_ != Phase::done && now - started_ >= max_age) {
    counters_.refused[metrics::index(metrics::RefusedReason::max_connection_age)].add();
    return finish("error", "max_connection_age", "open longer than limits.max_connection_age");
  }
  if (phase_ == Phase::relay && active_since_tick_ && !fixed_deadline_) {
    active_since_tick_ = false;
    deadline_ = now + worker_.limits().idle_timeout;  // idle counts from the last tick with traffic
  }
  if (phase_ != Phase::done && now >= deadline_) {
    // The refusal is recorded once the closed streams' waits complete: keep the address now.
    if (phase_ == Phase::handshake) remote_ = remote_address();
    timed_out_ = true;
    close_streams();  // pending waits complete with operation_aborted and see timed_out_
  }
}

void Session::abort(const char* reason) {
  if (finished_) return;
  finish("error", reason);
}

void Session::on_trust_changed(const certs::TlsContexts& contexts) {
  if (finished_ || verified_ssl_ == nullptr) return;  // a handshake under way uses its snapshot
  const certs::HandshakeFailure failure =
      certs::recheck_peer(verified_ssl_, *verified_check_, contexts);
  if (failure.reason == HandshakeReason::ok) return;
  counters_.refused[metrics::index(metrics::RefusedReason::trust_changed)].add();
  finish("refused", metrics::name(failure.reason),
         "closed after a trust reload: " + failure.detail);
}

bool Session::refuse_after_handshake(const certs::HandshakeFailure& failure) {
  if (failure.reason == HandshakeReason::ok) return false;
  counters_.handshake(failure.reason);
  finish("refused", metrics::name(failure.reason), failure.detail);
  return true;
}

void Session::do_handshake(TlsStream& tls, certs::PeerCheck& check) {
  const IoResult r = tls.handshake();
  if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
    auto next = [self = shared_from_this(), &tls, &check](error_code ec) {
      if (ec || self->finished_) {
        if (self->timed_out_) {
          self->counters_.handshake(HandshakeReason::timeout);
          return self->finish("refused", "timeout", "handshake timed out");
        }
        return self->finish("error", "other", ec.message());
      }
      self->do_handshake(tls, check);
    };
    // OpenSSL wants the peer's next flight: its read came back short or EAGAIN, so the wait
    // needs no re-arm (proxy/edge_wait.hpp; one epoll_ctl less per handshake and side).
    if (r.status == IoStatus::want_read) return tls.async_wait_new_input(std::move(next));
    return tls.async_wait(r.status, std::move(next));
  }
  if (r.status == IoStatus::ok) {
    const certs::HandshakeFailure refused =
        check_established(tls.ssl(), check, *contexts_, worker_.contexts());
    peer_ = check.identity().display();
    if (refuse_after_handshake(refused)) return;
    watch_verified_peer(tls.ssl(), &check);
    const double seconds = std::chrono::duration<double>(Clock::now() - phase_started_).count();
    count_established(counters_, tls.ssl(), peer_, seconds);
    tls_version_ = SSL_get_version(tls.ssl());
    cipher_ = SSL_get_cipher_name(tls.ssl());
    return on_handshake_ok();
  }
  const certs::HandshakeFailure failure = certs::classify_handshake_failure(
      tls.ssl(), tls.openssl_error(), check, tls.transport_closed() || r.status == IoStatus::eof);
  if (check.checked()) {
    peer_ = check.identity().display();
  } else if (!check.presented().empty()) {
    peer_ = check.presented();  // refused before its chain verified: who it claimed to be
  }
  counters_.handshake(failure.reason);
  finish("refused", metrics::name(failure.reason), failure.detail);
}

void Session::fail_connect(metrics::ConnectFailure reason, std::string detail) {
  if (timed_out_) reason = metrics::ConnectFailure::timeout;
  counters_.connect_failures[metrics::index(reason)].add();
  reset_streams();  // the client sees a reset, as if it had dialled the dead address itself
  if (detail.empty()) detail = "cannot connect to " + listener_.spec().forward.to_string();
  finish("error", metrics::name(reason), detail);
}

void Session::connect_upstream(tcp::socket& socket, std::function<void()> connected,
                               std::optional<tcp::endpoint> to) {
  enter(Phase::connect);
  auto done = [self = shared_from_this(), this, &socket, to,
               connected = std::move(connected)](std::optional<metrics::ConnectFailure> failure) {
    if (failure) return fail_connect(*failure, to ? "cannot connect to " + endpoint_text(*to) : "");
    tune_socket(socket.native_handle());
    adopt_non_blocking(socket);  // the connect made it non-blocking already: no second ioctl
    connected();
  };
  if (to) return listener_.connector().async_connect_to(socket, *to, std::move(done));
  listener_.connector().async_connect(socket, std::move(done));
}

void Session::relay_ended(const std::string& failure) {
  if (timed_out_) return finish("error", "timeout", "idle timeout");
  // A failed side is passed on as a reset, so the other peer's reads fail too.
  if (!failure.empty()) reset_streams();
  if (tls_truncated()) {
    // The inbound relays it as a FIN; the outbound's TLS read failed (a reset to its app). Either
    // way the app may have got a cut stream: say so.
    counters_.handshake(HandshakeReason::truncated);
    return finish("error", "truncated", "the TLS peer closed without close_notify");
  }
  if (!failure.empty()) return finish("error", "reset", failure);
  finish("ok", "ok");
}

std::string Session::remote_address() {
  error_code ec;
  const tcp::endpoint ep = tls_peer_socket().remote_endpoint(ec);
  if (ec) return "-";
  const std::string address = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(ep.port());
}

void Session::finish(std::string_view result, std::string_view reason, std::string_view detail) {
  if (finished_) return;
  finished_ = true;
  phase_ = Phase::done;
  if (result == "refused") {
    // Only refusals pay for this (a syscall, a lock on this worker's ring): GET /status lists them.
    if (remote_.empty()) remote_ = remote_address();
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    counters_.refusals.record(now_ms.count(), remote_, reason, peer_);
  }
  close_streams();
  const auto& spec = listener_.spec();
  const log::Level level = result == "ok" ? log::Level::info : log::Level::warn;
  log::JsonLine(level, "connection_end")
      .field("listener", spec.name)
      .field("direction", metrics::name(spec.direction))
      .field("peer", peer_)
      .field("result", result)
      .field("reason", reason)
      .field("detail", detail)
      .field("tls_version", tls_version_)
      .field("cipher", cipher_)
      .field("bytes_from_downstream", (unsigned long long)bytes_from_downstream_)
      .field("bytes_from_upstream", (unsigned long long)bytes_from_upstream_)
      .field("duration_s", std::chrono::duration<double>(Clock::now() - started_).count())
      .emit();
}

}  // namespace mtls::proxy
