// A peer that resets the TCP connection (SO_LINGER 0 close) in the middle of the TLS handshake:
// on the inbound (a client gone after its ClientHello, or before sending anything) and on the
// outbound (a server gone after reading our ClientHello). Each is counted as a handshake failure
// with a reason, the sidecar keeps serving, and no descriptor leaks.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "certs/openssl_ptr.hpp"
#include "proxy/demo/demo_sockets.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

constexpr int kEach = 50;

// Connects, sends a real ClientHello (made in memory, so the client cannot get further even when
// the server answers at once), waits for the server's first flight, then resets.
bool reset_after_client_hello(std::uint16_t port, SSL_CTX* ctx) {
  const certs::SslPtr ssl(SSL_new(ctx));
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), in, out);
  if (SSL_connect(ssl.get()) == 1) return false;
  char* hello = nullptr;
  const long size = BIO_get_mem_data(out, &hello);
  const int fd = connect_raw(port);
  if (fd < 0) return false;
  const bool sent = size > 0 && ::send(fd, hello, std::size_t(size), MSG_NOSIGNAL) == size;
  pollfd p{fd, POLLIN, 0};
  const bool answered = sent && ::poll(&p, 1, 3000) == 1 && (p.revents & POLLIN);
  char flight[64];
  const bool data = answered && ::recv(fd, flight, sizeof flight, MSG_DONTWAIT | MSG_PEEK) > 0;
  close_with_reset(fd);
  return data;
}

double failures(proxy::Sidecar& s, const std::string& direction, const std::string& reason) {
  return std::max(0.0,
                  sample(s.metrics().serialize(), "mtls_handshakes_total",
                         {{"direction", direction}, {"result", "failure"}, {"reason", reason}}));
}

TEST(FaultsHandshakeReset, TheInboundCountsPeersThatResetMidHandshakeAndLeaksNothing) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  const certs::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  ASSERT_EQ(plain_exchange(pair.outbound_port(), "warm").reply, "warm");
  ASSERT_EQ(wait_sample(*pair.inbound, "mtls_connections_active", {}, 0), 0);
  const int fds_before = open_fds();

  int answered = 0;
  for (int i = 0; i < 3 * kEach; ++i) {
    if (i % 3 == 0) {
      answered += reset_after_client_hello(pair.inbound_port(), ctx.get());
    } else {
      const int fd = connect_raw(pair.inbound_port());
      ASSERT_GE(fd, 0);
      if (i % 3 == 1)
        close_with_reset(fd);  // before a single byte
      else
        ::close(fd);  // an orderly FIN before a single byte
    }
  }
  const double total = 3 * kEach;
  const double ended =
      wait_sample(*pair.inbound, "mtls_handshakes_total", {{"result", "failure"}}, total);
  ASSERT_EQ(wait_sample(*pair.inbound, "mtls_connections_active", {}, 0), 0);
  const int fds_after = open_fds();
  const double peer_closed = failures(*pair.inbound, "inbound", "peer_closed");
  const double other = failures(*pair.inbound, "inbound", "other");
  EXPECT_EQ(plain_exchange(pair.outbound_port(), "after").reply, "after");

  std::printf(
      "[ measure  ] inbound: %d resets after the server's first flight, %d before any byte, "
      "%d FIN before any byte: %.0f failures counted (peer_closed %.0f, other %.0f); "
      "fds %d -> %d\n",
      answered, kEach, kEach, ended, peer_closed, other, fds_before, fds_after);
  EXPECT_EQ(answered, kEach);
  EXPECT_EQ(ended, total);
  EXPECT_EQ(peer_closed + other, total);
  EXPECT_EQ(fds_after, fds_before);
  score("handshake_reset_inbound_counted", ended, ended == total && peer_closed + other == total,
        "150 peers gone mid-handshake (RST after hello, RST before, FIN) counted as failures "
        "(peer_closed " +
            std::to_string(int(peer_closed)) + ", other " + std::to_string(int(other)) + ")");
  score("handshake_reset_inbound_fd_leak", fds_after - fds_before, fds_after == fds_before,
        "/proc/self/fd count equal before/after");
}

TEST(FaultsHandshakeReset, TheOutboundCountsAServerThatResetsAfterTheClientHello) {
  TestPki pki;
  std::uint16_t port = 0;
  proxy::demo::Fd listener = proxy::demo::listen_loopback(port);
  std::atomic<int> reset{0};
  std::atomic<bool> stop{false};
  std::thread server([&] {
    while (!stop) {
      pollfd p{listener.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      const int fd = ::accept(listener.get(), nullptr, nullptr);
      if (fd < 0) continue;
      char hello[4096];
      proxy::demo::set_io_timeout(fd, 3000);
      if (::recv(fd, hello, sizeof hello, 0) > 0) ++reset;
      close_with_reset(fd);
    }
  });
  config::Config c = base_config(pki, pki.leaf("frontend", kFrontendId, {"frontend.local"}));
  c.outbound.push_back(outbound_listener(port));
  proxy::Sidecar outbound(std::move(c), {.admin = false});
  outbound.start();
  const int fds_before = open_fds();

  constexpr int kApps = 50;
  long slowest = 0;
  for (int i = 0; i < kApps; ++i) {
    const int app = connect_raw(outbound.port("out"));
    ASSERT_GE(app, 0);
    slowest = std::max(slowest, ms_until_closed(app, 3000));
    ::close(app);
  }
  const double counted = wait_sample(outbound, "mtls_handshakes_total",
                                     {{"direction", "outbound"}, {"result", "failure"}}, kApps);
  ASSERT_EQ(wait_sample(outbound, "mtls_connections_active", {}, 0), 0);
  const int fds_after = open_fds();
  stop = true;
  server.join();
  const double peer_closed = failures(outbound, "outbound", "peer_closed");

  std::printf(
      "[ measure  ] outbound: %d servers reset after the ClientHello: %.0f counted "
      "(peer_closed %.0f); slowest app close %ld ms; fds %d -> %d\n",
      reset.load(), counted, peer_closed, slowest, fds_before, fds_after);
  EXPECT_EQ(reset.load(), kApps);
  EXPECT_EQ(counted, kApps);
  EXPECT_EQ(peer_closed, kApps);
  EXPECT_GE(slowest, 0);
  EXPECT_LE(slowest, 1000);
  EXPECT_EQ(fds_after, fds_before);
  score("handshake_reset_outbound_counted", counted,
        counted == kApps && peer_closed == kApps && fds_after == fds_before && slowest >= 0 &&
            slowest <= 1000,
        "50 servers RST after ClientHello: counted peer_closed, app closed <=1000ms, no fd leak");
}

}  // namespace
}  // namespace mtls::test
