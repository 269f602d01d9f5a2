// Restarting on the same ports: a listener port whose earlier connections sit in TIME-WAIT binds
// again at once (a crash-restart must not crash-loop for 60 s), while a port another socket
// listens on still fails start-up with EADDRINUSE.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

// Sockets in TIME-WAIT whose local end is 127.0.0.1:port (/proc/net/tcp, state 06).
int time_wait_sockets(std::uint16_t port) {
  std::ifstream table("/proc/net/tcp");
  char local[32];
  std::snprintf(local, sizeof local, "0100007F:%04X", unsigned(port));
  int count = 0;
  std::string line;
  std::getline(table, line);  // header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state;
    fields >> slot >> local_address >> remote_address >> state;
    count += local_address == local && state == "06";
  }
  return count;
}

config::Config inbound_on(const TestPki& pki, const TestPki::Files& files, std::uint16_t port,
                          std::uint16_t backend_port) {
  config::Config c = base_config(pki, files);
  c.limits.handshake_timeout = std::chrono::milliseconds(200);
  c.inbound.push_back(inbound_listener(backend_port));
  c.inbound.back().listen.port = port;
  return c;
}

TEST(Restart, BindsAgainAtOnceWhileTheListenerPortHasConnectionsInTimeWait) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  const auto files = pki.leaf("backend", kBackendId, {"backend.local"});
  auto first = std::make_unique<proxy::Sidecar>(inbound_on(pki, files, 0, backend.port()));
  first->start();
  const std::uint16_t port = first->port("in");
  // A client that sends nothing: the sidecar ends it at handshake_timeout and so closes first,
  // which leaves the connection in TIME-WAIT on the sidecar's side, on the listener port.
  const int fd = connect_raw(port);
  ASSERT_GE(fd, 0);
  ASSERT_GE(ms_until_closed(fd, 5000), 0);
  ::close(fd);
  first->stop();
  first.reset();
  ASSERT_GE(time_wait_sockets(port), 1) << "the precondition: a connection in TIME-WAIT";

  proxy::Sidecar second(inbound_on(pki, files, port, backend.port()));
  ASSERT_NO_THROW(second.start());
  EXPECT_EQ(second.port("in"), port);
}

TEST(Restart, StillFailsWithAddressInUseWhenAnotherSocketListensOnThePort) {
  TestPki pki;
  const auto files = pki.leaf("backend", kBackendId, {"backend.local"});
  const ForeignListener foreign;  // with SO_REUSEADDR: still not ours to share
  const std::uint16_t port = foreign.port();

  proxy::Sidecar sidecar(inbound_on(pki, files, port, closed_port()));
  try {
    sidecar.start();
    ADD_FAILURE() << "start() bound a port another socket listens on";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE) << e.what();
    EXPECT_NE(std::string(e.what()).find("listener in"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mtls::test
