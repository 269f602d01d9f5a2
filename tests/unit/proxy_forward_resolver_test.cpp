// `forward` names are looked up in the background (ForwardResolver) and connections use the
// latest answer at once: a lookup that hangs delays no connection once a name has an answer,
// keeps the last good addresses, and before the first answer a connection waits no longer than
// connect_timeout and then connects nowhere.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "proxy/forward_resolver.hpp"
#include "proxy/upstream_connector.hpp"

namespace mtls::proxy {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A scripted resolver: answers 127.0.0.1 while `healthy`; otherwise hangs until released
// (a silent DNS server). Shared with the resolver's detached threads, which may outlive a test.
struct FakeDns {
  std::mutex mutex;
  std::condition_variable changed;
  bool healthy = true;
  bool released = false;
  std::atomic<int> lookups{0};

  static ForwardResolver::Lookup lookup(std::shared_ptr<FakeDns> dns) {
    return [dns](const std::string&, std::uint16_t port, std::string& error) {
      ++dns->lookups;
      std::unique_lock lock(dns->mutex);
      dns->changed.wait(lock, [&] { return dns->healthy || dns->released; });
      if (!dns->healthy) {
        error = "timed out";
        return std::vector<tcp::endpoint>{};
      }
      return std::vector<tcp::endpoint>{{net::ip::make_address("127.0.0.1"), port}};
    };
  }
  void set_healthy(bool h) {
    std::lock_guard lock(mutex);
    healthy = h;
    changed.notify_all();
  }
  void release() {
    std::lock_guard lock(mutex);
    released = true;
    changed.notify_all();
  }
};

struct Outcome {
  std::optional<std::optional<metrics::ConnectFailure>> result;  // set once the handler ran
  Clock::duration took{};
};

// Runs one async_connect on `io` to completion.
Outcome connect_once(net::io_context& io, UpstreamConnector& connector, tcp::socket& socket) {
  Outcome out;
  const auto start = Clock::now();
  connector.async_connect(socket, [&](std::optional<metrics::ConnectFailure> failure) {
    out.result = failure;
    out.took = Clock::now() - start;
  });
  io.restart();
  io.run_for(10s);
  return out;
}

TEST(ForwardResolver, IpLiteralsAreNeverWatched) {
  ForwardResolver resolver([](const std::string&, std::uint16_t, std::string& error) {
    error = "must not be called";
    return std::vector<tcp::endpoint>{};
  });
  EXPECT_EQ(resolver.watch({"127.0.0.1", 80}), nullptr);
  EXPECT_EQ(resolver.watch({"::1", 80}), nullptr);
}

TEST(ForwardResolver, KeepsTheLastGoodAnswerWhileLookupsHang) {
  auto dns = std::make_shared<FakeDns>();
  ForwardResolver resolver(FakeDns::lookup(dns), 20ms);
  const auto name = resolver.watch({"backend.test", 8080});
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(resolver.watch({"backend.test", 8080}), name);  // one lookup loop per name
  for (int i = 0; i < 500 && !name->answer(); ++i) std::this_thread::sleep_for(2ms);
  ASSERT_NE(name->answer(), nullptr);
  EXPECT_EQ(name->answer()->endpoints.size(), 1u);

  dns->set_healthy(false);  // the next lookup hangs
  const int before = dns->lookups;
  for (int i = 0; i < 500 && dns->lookups == before; ++i) std::this_thread::sleep_for(2ms);
  ASSERT_GT(dns->lookups, before) << "the refresh did not start a new lookup";
  EXPECT_EQ(name->answer()->endpoints.size(), 1u);
  dns->release();  // the hung lookup fails: still the old addresses
  for (int i = 0; i < 500 && name->answer()->error.empty(); ++i) std::this_thread::sleep_for(2ms);
  EXPECT_EQ(name->answer()->error, "timed out");
  EXPECT_EQ(name->answer()->endpoints.size(), 1u);
}

TEST(UpstreamConnector, ConnectsAtOnceWithCachedAddressesWhileALookupHangs) {
  net::io_context io;
  tcp::acceptor upstream(io, {net::ip::make_address("127.0.0.1"), 0});
  auto dns = std::make_shared<FakeDns>();
  ForwardResolver resolver(FakeDns::lookup(dns), 20ms);
  const config::HostPort forward{"backend.test", upstream.local_endpoint().port()};
  const auto name = resolver.watch(forward);
  for (int i = 0; i < 500 && !name->answer(); ++i) std::this_thread::sleep_for(2ms);
  ASSERT_NE(name->answer(), nullptr);
  dns->set_healthy(false);  // every lookup from now on hangs
  const int before = dns->lookups;
  for (int i = 0; i < 500 && dns->lookups == before; ++i) std::this_thread::sleep_for(2ms);

  UpstreamConnector connector(io, forward, name, 5s);
  for (int i = 0; i < 4; ++i) {  // each one at once: nobody waits for the hung lookup
    tcp::socket socket(io);
    const Outcome o = connect_once(io, connector, socket);
    ASSERT_TRUE(o.result.has_value());
    EXPECT_EQ(*o.result, std::nullopt) << "connection " << i;
    EXPECT_LT(o.took, 200ms) << "connection " << i;
  }
  dns->release();
}

TEST(UpstreamConnector, BeforeTheFirstAnswerWaitsNoLongerThanConnectTimeoutAndConnectsNowhere) {
  net::io_context io;
  auto dns = std::make_shared<FakeDns>();
  dns->healthy = false;  // the very first lookup hangs
  ForwardResolver resolver(FakeDns::lookup(dns), 20ms);
  const config::HostPort forward{"backend.test", 9};
  const auto name = resolver.watch(forward);
  UpstreamConnector connector(io, forward, name, 300ms);
  tcp::socket socket(io);
  const Outcome o = connect_once(io, connector, socket);
  ASSERT_TRUE(o.result.has_value());
  EXPECT_EQ(*o.result, metrics::ConnectFailure::dns);
  EXPECT_GE(o.took, 300ms);
  EXPECT_LT(o.took, 1000ms);
  EXPECT_FALSE(socket.is_open()) << "a connect was started after the deadline";
  dns->release();
}

}  // namespace
}  // namespace mtls::proxy
