#include "proxy/http/http_session.hpp"

#include "metrics/log.hpp"
#include "proxy/listener.hpp"

namespace mtls::proxy::http {

HttpSession::HttpSession(Listener& listener, Worker& worker) : Session(listener, worker) {}

const config::HttpConfig& HttpSession::http_config() const { return listener_.spec().http; }

void HttpSession::on_record(const Record& r) {
  counters_.http.request(metrics::http_method(r.method), r.status);
  counters_.http.duration.observe(r.seconds);
  if (!http_config().access_log) return;
  const auto& spec = listener_.spec();
  log::JsonLine(log::Level::info, "http_request")
      .field("listener", spec.name)
      .field("direction", metrics::name(spec.direction))
      .field("peer", peer_)
      .field("method", certs::printable(r.method))
      .field("path", certs::printable(r.target))
      .field("status", (unsigned long long)r.status)
      .field("request_bytes", (unsigned long long)r.request_bytes)
      .field("response_bytes", (unsigned long long)r.response_bytes)
      .field("duration_s", r.seconds)
      .field("rule", r.rule)
      .emit();
}

void HttpSession::on_http_error(metrics::HttpError error, std::string_view detail) {
  counters_.http.error(error);
  const auto& spec = listener_.spec();
  log::JsonLine(log::Level::warn, "http_error")
      .field("listener", spec.name)
      .field("direction", metrics::name(spec.direction))
      .field("peer", peer_)
      .field("reason", metrics::name(error))
      .field("detail", detail)
      .emit();
}

void HttpSession::on_bytes(metrics::Side side, std::size_t n) {
  counters_.bytes[metrics::index(side)].add(n);
  (side == metrics::Side::downstream ? bytes_from_downstream_ : bytes_from_upstream_) += n;
  touch();
}

void HttpSession::on_waiting(Waiting waiting) {
  const auto now = Clock::now();
  switch (waiting) {
    case Waiting::next_request:
      return set_fixed_deadline(now + http_config().idle_timeout);
    case Waiting::request_head:
      return set_fixed_deadline(now + http_config().request_timeout);
    case Waiting::exchange:
      return enter(Phase::relay);  // limits.idle_timeout, extended by traffic
    case Waiting::closing:
      return set_fixed_deadline(now + kLingerTime);
  }
}

void HttpSession::on_http_end(std::string_view result, std::string_view reason,
                              std::string_view detail) {
  if (timed_out_) {
    switch (engine_waiting()) {
      case Waiting::next_request:  // a kept-alive connection nobody used: an orderly end
        return finish("ok", "idle_timeout", "no request within http.idle_timeout");
      case Waiting::request_head:
        on_http_error(metrics::HttpError::request_timeout, "request head incomplete");
        return finish("error", "request_timeout", "request head incomplete");
      case Waiting::exchange:
        return finish("error", "timeout", "idle timeout");
      case Waiting::closing: {  // the client kept sending after our answer: stop listening
        const std::string why(engine_close_reason());
        return finish(why.empty() ? "ok" : "error", why.empty() ? "ok" : why, "");
      }
    }
  }
  if (result == "ok" && tls_truncated()) {
    counters_.handshake(metrics::HandshakeReason::truncated);
    return finish("error", "truncated", "the TLS peer closed without close_notify");
  }
  finish(result, reason, detail);
}

}  // namespace mtls::proxy::http
