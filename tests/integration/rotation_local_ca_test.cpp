// local_ca renews its leaf at renew_at (2/3) of a short ttl, several times, while a client keeps
// connecting: no connection fails. A new CA written into the CA directory is picked up by the
// watcher; with both roots in the trust bundle (rotation overlap) peers of either are accepted.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

TEST(RotationLocalCa, RenewsAShortLivedLeafSeveralTimesWithoutFailingAConnection) {
  TestPki scratch;  // for its temp directory
  const std::string dir = scratch.dir() + "/ca";
  const certs::LocalCa ca = certs::LocalCa::init(dir, "test.local");
  const auto client = ca.issue(leaf_request(kFrontendId));
  certs::write_issued(scratch.dir() + "/client", client, ca.certificate());
  Backend backend(Backend::Mode::echo);
  proxy::Sidecar sidecar(local_ca_config(dir, backend.port(), std::chrono::seconds(6), 2),
                         {.handle_signals = false, .admin = false});
  sidecar.start();

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::mutex mutex;
  std::set<std::string> serials;
  std::thread connector([&] {
    while (!stop) {
      const proxy::ProbeResult r = ping({.port = sidecar.port("in"),
                                         .ca_file = dir + "/ca.crt",
                                         .cert_file = scratch.dir() + "/client/tls.crt",
                                         .key_file = scratch.dir() + "/client/tls.key"});
      (accepted(r) ? ok : failed)++;
      std::lock_guard lock(mutex);
      serials.insert(r.server_serial);
    }
  });
  // ttl 6 s, renew_at 2/3 ±10 %: a renewal every 3.6..4.4 s; three of them take < 14 s.
  const bool renewed = eventually(
      [&] {
        std::lock_guard lock(mutex);
        return serials.size() >= 4;
      },
      std::chrono::seconds(20));
  stop = true;
  connector.join();
  EXPECT_TRUE(renewed) << serials.size() - 1 << " renewals seen";
  EXPECT_EQ(failed, 0) << "of " << ok + failed << " connections";
  EXPECT_GE(sample(sidecar.metrics().serialize(), "mtls_certificate_reloads_total",
                   {{"source", "local_ca"}, {"result", "success"}}),
            4);
  std::cout << "[ measure  ] local CA ttl 6s: " << serials.size() - 1 << " renewals, " << ok
            << " connections, " << failed << " failed\n";
}

TEST(RotationLocalCa, PicksUpANewCaFromTheDirectoryAndKeepsTrustingBothRoots) {
  TestPki scratch;
  const std::string dir = scratch.dir() + "/ca", next_dir = scratch.dir() + "/next-ca";
  const certs::LocalCa old_ca = certs::LocalCa::init(dir, "test.local");
  // The next root of the same trust domain (a local CA issues IDs of its own domain only),
  // named apart so the test can tell which one signed the server's leaf.
  const certs::LocalCa new_ca = certs::LocalCa::generate("test.local next CA", "test.local");
  std::filesystem::create_directories(next_dir);
  certs::write_file(next_dir + "/ca.key", certs::to_pem(new_ca.key()), 0600);
  certs::write_file(next_dir + "/ca.crt", certs::to_pem(new_ca.certificate()), 0644);
  const std::string both = scratch.dir() + "/both.crt";
  certs::write_file(both, certs::to_pem(old_ca.certificate()) + certs::to_pem(new_ca.certificate()),
                    0644);
  Backend backend(Backend::Mode::echo);
  config::Config c = local_ca_config(dir, backend.port(), std::chrono::hours(1), 2);
  c.trust.ca_bundle = both;
  proxy::Sidecar sidecar(std::move(c), {.handle_signals = false, .admin = false});
  sidecar.start();
  certs::write_issued(scratch.dir() + "/old-client", old_ca.issue(leaf_request(kFrontendId)),
                      old_ca.certificate());
  certs::write_issued(scratch.dir() + "/new-client", new_ca.issue(leaf_request(kFrontendId)),
                      new_ca.certificate());
  const auto connect = [&](const std::string& client) {
    return ping({.port = sidecar.port("in"),
                 .ca_file = both,
                 .cert_file = scratch.dir() + "/" + client + "/tls.crt",
                 .key_file = scratch.dir() + "/" + client + "/tls.key"});
  };
  ASSERT_EQ(connect("old-client").server_issuer, "CN=test.local local CA");

  // As an operator would: the new key first, then its certificate (a mismatch in between).
  certs::write_file(dir + "/ca.key", certs::read_file(next_dir + "/ca.key"), 0600);
  certs::write_file(dir + "/ca.crt", certs::read_file(next_dir + "/ca.crt"), 0644);
  proxy::ProbeResult last;
  EXPECT_TRUE(eventually([&] {
    return (last = connect("old-client")).server_issuer == "CN=test.local next CA";
  })) << last.server_issuer;
  EXPECT_TRUE(accepted(last)) << last.error;
  const proxy::ProbeResult fresh = connect("new-client");
  EXPECT_TRUE(accepted(fresh)) << fresh.error;
}

}  // namespace
}  // namespace mtls::test
