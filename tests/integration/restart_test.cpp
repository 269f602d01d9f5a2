// A sidecar restarted on the port it just served on must start: the connections it closed last
// linger in TIME_WAIT on that port for a minute, and a bind without SO_REUSEADDR is refused
// then. A port someone still listens on stays refused (limits_test covers EADDRINUSE).
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>

#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

config::Config inbound_on(TestPki& pki, const TestPki::Files& files, std::uint16_t port) {
  config::Config c = base_config(pki, files);
  c.inbound.push_back(inbound_listener(closed_port()));
  c.inbound.back().listen.port = port;
  return c;
}

TEST(Restart, StartsOnAPortWhoseLastConnectionsAreInTimeWait) {
  TestPki pki;
  const TestPki::Files backend = pki.leaf("backend", kBackendId, {"backend.local"});
  auto first = std::make_unique<proxy::Sidecar>(inbound_on(pki, backend, 0));
  first->start();
  const std::uint16_t port = first->port("in");
  // Not TLS: the sidecar refuses and closes first, so once we close too, its end of the
  // connection (on `port`) is the one in TIME_WAIT.
  const int fd = connect_raw(port);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
  ASSERT_GE(ms_until_closed(fd, 5000), 0) << "the sidecar did not close a plaintext client";
  ::close(fd);
  first->stop();
  first.reset();

  proxy::Sidecar second(inbound_on(pki, backend, port));
  EXPECT_NO_THROW(second.start());
  EXPECT_EQ(second.port("in"), port);
}

}  // namespace
}  // namespace mtls::test
