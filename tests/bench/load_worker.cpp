#include "tests/bench/load_worker.hpp"

namespace mtls::bench {

LoadWorker::LoadWorker(const LoadOptions& options, SSL_CTX* ctx, tcp::endpoint target,
                       unsigned conns, unsigned first_id)
    : options_(options), ctx_(ctx), target_(std::move(target)) {
  for (unsigned i = 0; i < conns; ++i)
    conns_.push_back(std::make_unique<Connection>(*this, first_id + i));
}

LoadWorker::~LoadWorker() { conns_.clear(); }

void LoadWorker::run(Clock::time_point deadline) {
  deadline_timer_.expires_at(deadline);
  deadline_timer_.async_wait([this](const error_code&) {
    // Closing stops every pending operation; their completions see stopping_ and do nothing.
    stopping_ = true;
    watchdog_.cancel();
    for (auto& c : conns_) c->stop();
    io_.stop();
  });
  for (auto& c : conns_) c->start();
  schedule_watchdog();
  io_.run();
}

// A coarse sweep (like the sidecar's worker tick) is cheaper than a timer per exchange.
void LoadWorker::schedule_watchdog() {
  watchdog_.expires_after(std::chrono::milliseconds(100));
  watchdog_.async_wait([this](const error_code& ec) {
    if (ec || stopping_) return;
    const auto now = Clock::now();
    for (auto& c : conns_) c->check_timeout(now);
    schedule_watchdog();
  });
}

}  // namespace mtls::bench
