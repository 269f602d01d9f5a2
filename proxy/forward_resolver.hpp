#pragma once
// Resolves the `forward` host names of a sidecar's listeners in the background, so that no
// connection ever waits for DNS once a name has been resolved (DESIGN.md §3: the data path does
// not block). Each distinct host:port gets one thread that looks it up, publishes the answer and
// looks again every refresh interval (5 s: a Kubernetes Service change is seen within seconds).
// A failed or empty lookup keeps the last good addresses: a DNS outage does not stop traffic.
// One thread per name rather than one for all: a lookup hanging on one name must not hold back
// the first answer of another. Names are few (one per listener at most).
//
// Thread-safety: watch() from one thread (Sidecar, before the workers start); Name::answer()
// from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "proxy/net.hpp"

namespace mtls::proxy {

class ForwardResolver {
 public:
  static constexpr std::chrono::seconds kRefresh{5};

  // A blocking lookup: the addresses, or none and `error` set. Injectable for tests.
  using Lookup = std::function<std::vector<tcp::endpoint>(const std::string& host,
                                                          std::uint16_t port, std::string& error)>;
  static std::vector<tcp::endpoint> system_lookup(const std::string& host, std::uint16_t port,
                                                  std::string& error);

  struct Answer {
    std::vector<tcp::endpoint> endpoints;  // the last good answer; empty: none yet
    std::string error;                     // of the latest lookup, "" when it succeeded
  };

  // One watched host:port, shared by the connectors of every worker.
  class Name {
   public:
    // nullptr until the first lookup has completed.
    std::shared_ptr<const Answer> answer() const;
    const config::HostPort& forward() const { return forward_; }

   private:
    friend class ForwardResolver;
    Name(config::HostPort forward, Lookup lookup, std::chrono::milliseconds refresh)
        : forward_(std::move(forward)), lookup_(std::move(lookup)), refresh_(refresh) {}
    void run();  // the thread's loop, until stop()
    void stop();

    const config::HostPort forward_;
    const Lookup lookup_;
    const std::chrono::milliseconds refresh_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopped_ = false;
    std::shared_ptr<const Answer> answer_;
  };

  explicit ForwardResolver(Lookup lookup = system_lookup,
                           std::chrono::milliseconds refresh = kRefresh);
  // Stops every name's thread. A thread inside a lookup that hangs is not waited for: it owns
  // its Name and ends after that lookup returns.
  ~ForwardResolver();
  ForwardResolver(const ForwardResolver&) = delete;
  ForwardResolver& operator=(const ForwardResolver&) = delete;

  // Starts resolving `forward` at once (once per distinct host:port). nullptr for IP literals,
  // which are never resolved.
  std::shared_ptr<const Name> watch(const config::HostPort& forward);

 private:
  Lookup lookup_;
  std::chrono::milliseconds refresh_;
  std::map<std::string, std::shared_ptr<Name>> names_;  // by host:port
};

}  // namespace mtls::proxy
