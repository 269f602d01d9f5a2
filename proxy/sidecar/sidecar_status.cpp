// GET /status: the control thread keeps the history's buckets and answers from it.
#include <boost/asio/ip/tcp.hpp>

#include "proxy/sidecar/sidecar.hpp"

namespace mtls::proxy {

// Before the control thread runs (from start_admin()); the timer fires on it.
void Sidecar::start_status() {
  std::vector<metrics::ListenerInfo> info;
  for (const ListenerSpec& s : specs_) {
    info.push_back({endpoint_text(s.bound),
                    s.original_dst ? std::string("original_dst") : s.forward.to_string(),
                    s.protocol == config::Protocol::http ? "http" : "tcp"});
  }
  status_ = std::make_unique<metrics::StatusBoard>(
      *metrics_, std::move(info), options_.status_bucket, metrics::StatusBoard::now_ms());
  status_timer_.emplace(control_);
  status_next_tick_ = std::chrono::steady_clock::now();
  tick_status();
}

// Every bucket from the first tick, not from the last one's wake-up: the buckets do not drift.
void Sidecar::tick_status() {
  status_next_tick_ += options_.status_bucket;
  status_timer_->expires_at(status_next_tick_);
  status_timer_->async_wait([this](error_code ec) {
    if (ec) return;
    status_->tick(metrics::StatusBoard::now_ms());
    tick_status();
  });
}

std::string Sidecar::status_json() const {
  metrics::StatusFacts facts;
  facts.certs_json = describe_certs();
  if (const auto c = contexts()) {
    for (const certs::CrlInfo& crl : c->crls)
      facts.crls.push_back({crl.issuer, std::int64_t(crl.next_update)});
  }
  facts.ready = ready(facts.not_ready_reason);
  facts.draining = draining_;
  return status_->json(facts, metrics::StatusBoard::now_ms());
}

}  // namespace mtls::proxy
