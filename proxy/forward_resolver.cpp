#include "proxy/forward_resolver.hpp"

#include <thread>

#include "metrics/log.hpp"

namespace mtls::proxy {

std::vector<tcp::endpoint> ForwardResolver::system_lookup(const std::string& host,
                                                          std::uint16_t port, std::string& error) {
  net::io_context io;
  tcp::resolver resolver(io);
  error_code ec;
  const auto results = resolver.resolve(host, std::to_string(port), ec);  // getaddrinfo
  std::vector<tcp::endpoint> out;
  if (ec) {
    error = ec.message();
    return out;
  }
  for (const auto& r : results) out.push_back(r.endpoint());
  if (out.empty()) error = "no addresses";
  return out;
}

std::shared_ptr<const ForwardResolver::Answer> ForwardResolver::Name::answer() const {
  std::lock_guard lock(mutex_);
  return answer_;
}

void ForwardResolver::Name::run() {
  const std::string what = "forward " + forward_.to_string();
  std::unique_lock lock(mutex_);
  while (!stopped_) {
    lock.unlock();
    std::string error;
    std::vector<tcp::endpoint> found = lookup_(forward_.host, forward_.port, error);
    if (found.empty() && error.empty()) error = "no addresses";
    lock.lock();
    auto next = std::make_shared<Answer>();
    next->error = error;
    const bool was_failing = answer_ && !answer_->error.empty();
    if (!found.empty()) {
      next->endpoints = std::move(found);
      if (was_failing) log::info(what + ": lookup succeeds again");
    } else {
      if (answer_) next->endpoints = answer_->endpoints;  // keep the last good answer
      if (!was_failing) {
        log::warn(what + ": lookup failed (" + error + "); " +
                  (next->endpoints.empty()
                       ? std::string("connections fail until it succeeds")
                       : "keeping the " + std::to_string(next->endpoints.size()) +
                             " addresses resolved before"));
      }
    }
    answer_ = std::move(next);
    wake_.wait_for(lock, refresh_, [this] { return stopped_; });
  }
}

void ForwardResolver::Name::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  wake_.notify_all();
}

ForwardResolver::ForwardResolver(Lookup lookup, std::chrono::milliseconds refresh)
    : lookup_(std::move(lookup)), refresh_(refresh) {}

ForwardResolver::~ForwardResolver() {
  for (auto& [key, name] : names_) name->stop();
}

std::shared_ptr<const ForwardResolver::Name> ForwardResolver::watch(
    const config::HostPort& forward) {
  error_code ec;
  net::ip::make_address(forward.host, ec);
  if (!ec) return nullptr;
  auto& name = names_[forward.to_string()];
  if (!name) {
    name.reset(new Name(forward, lookup_, refresh_));
    // Detached, owning its Name: getaddrinfo cannot be interrupted, and a stop must not wait
    // for a lookup that hangs.
    std::thread([keep = name] { keep->run(); }).detach();
  }
  return name;
}

}  // namespace mtls::proxy
