// A `forward` host name ("localhost", looked up by the system resolver) is resolved in the
// background: connections use the cached addresses at once, also while a later lookup hangs,
// and the lookups do not grow with the connections. Before any answer, a session ends at its
// connect_timeout, and nothing connects upstream for it once the lookup finally answers.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "proxy/demo/tls_probe.hpp"
#include "proxy/forward_resolver.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The system resolver, except that from `hang_from` on each lookup hangs until released (a
// DNS server gone silent). Shared with the resolver's detached threads.
struct SilencingDns {
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  int hang_from = 1'000'000;
  std::atomic<int> lookups{0};

  static proxy::ForwardResolver::Lookup lookup(std::shared_ptr<SilencingDns> dns) {
    return [dns](const std::string& host, std::uint16_t port, std::string& error) {
      const int n = ++dns->lookups;
      std::unique_lock lock(dns->mutex);
      if (n >= dns->hang_from) dns->released_cv.wait(lock, [&] { return dns->released; });
      lock.unlock();
      return proxy::ForwardResolver::system_lookup(host, port, error);
    };
  }
  void release() {
    std::lock_guard lock(mutex);
    released = true;
    released_cv.notify_all();
  }
};

struct Fixture {
  TestPki pki;
  Backend backend{Backend::Mode::echo};
  TestPki::Files client = pki.leaf("frontend", kFrontendId, {"frontend.local"});
  std::unique_ptr<proxy::Sidecar> sidecar;

  void start(std::shared_ptr<SilencingDns> dns, std::chrono::milliseconds connect_timeout) {
    config::Config c = base_config(pki, pki.leaf("backend", kBackendId, {"backend.local"}));
    c.limits.connect_timeout = connect_timeout;
    c.inbound.push_back(inbound_listener(backend.port()));
    c.inbound.back().forward = {"localhost", backend.port()};
    proxy::SidecarOptions options;
    options.admin = false;
    options.lookup = SilencingDns::lookup(dns);
    options.dns_refresh = 50ms;
    sidecar = std::make_unique<proxy::Sidecar>(std::move(c), options);
    sidecar->start();
  }
  // One echo exchange through the inbound sidecar: the reply and how long it took.
  std::pair<std::string, Clock::duration> exchange() {
    proxy::ProbeOptions o;
    o.port = sidecar->port("in");
    o.cert_file = client.cert;
    o.key_file = client.key;
    o.half_close = true;
    const auto start = Clock::now();
    std::string reply = proxy::tls_probe(o, "ping").reply;
    return {reply, Clock::now() - start};
  }
};

TEST(ForwardResolution, ConnectionsUseTheCachedAddressesWhileLookupsHang) {
  auto dns = std::make_shared<SilencingDns>();
  dns->hang_from = 2;  // the first lookup answers, every later one hangs
  Fixture f;
  f.start(dns, 5s);
  for (int i = 0; i < 500 && dns->lookups < 2; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_GE(dns->lookups, 2) << "the precondition: a refresh is under way and hangs";
  for (int i = 0; i < 10; ++i) {
    const auto [reply, took] = f.exchange();
    EXPECT_EQ(reply, "ping") << "connection " << i;
    EXPECT_LT(took, 1s) << "connection " << i;
  }
  EXPECT_EQ(dns->lookups, 2) << "lookups are made per name, not per connection";
  f.sidecar->stop();
  dns->release();
}

TEST(ForwardResolution, BeforeAnyAnswerASessionEndsAtConnectTimeoutAndNeverConnectsLater) {
  auto dns = std::make_shared<SilencingDns>();
  dns->hang_from = 1;  // even the first lookup hangs
  Fixture f;
  f.start(dns, 300ms);
  const auto [reply, took] = f.exchange();
  EXPECT_EQ(reply, "");
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
  EXPECT_EQ(f.backend.connections(), 0);
  dns->release();  // the lookup answers now: the session is gone and must stay unconnected
  // A late connect would follow the answer at once; nothing can wait for "never", so give it
  // ample time (a sanitizer build is ~10x slower) before looking.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(f.backend.connections(), 0) << "an upstream connection was made for a session that "
                                           "had already ended";
  // New sessions use the answer. (Counting their connections would count retries too: under load
  // a client may give up on an exchange whose upstream connect still went through.)
  std::string later;
  for (int i = 0; i < 200 && later != "ping"; ++i) later = f.exchange().first;
  EXPECT_EQ(later, "ping");
}

}  // namespace
}  // namespace mtls::test
