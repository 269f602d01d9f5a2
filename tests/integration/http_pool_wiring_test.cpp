// HTTP mode, outbound: upstream mTLS connections come from the per-worker pool and go back to it,
// so an app that opens a connection per request (Connection: close) pays no handshake per
// request, and an upstream that closes idle pooled connections costs no failed request.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/http_backend.hpp"
#include "tests/support/http_pair.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/rotation_support.hpp"

namespace mtls::test {
namespace {

const std::string kRequest =
    "GET /pooled HTTP/1.1\r\nHost: backend.local\r\nConnection: close\r\n\r\n";

bool ok(const PlainExchange& r) { return r.reply.rfind("HTTP/1.1 200 ", 0) == 0; }

// A TCP forwarder between the outbound and the inbound that can play an upstream closing an
// idle connection at the worst moment: a connection open when cut() is called is closed, both
// ways, when its client next sends bytes (dropped), i.e. after the pool's check that it is
// still open, once the request was written.
class CuttingForwarder {
 public:
  CuttingForwarder() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), n) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &n) != 0)
      ADD_FAILURE() << "forwarder: cannot listen";
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~CuttingForwarder() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    for (std::thread& t : pumps_) t.join();
  }
  void forward_to(std::uint16_t port) { target_ = port; }
  std::uint16_t port() const { return port_; }
  void cut() { cut_below_ = accepted_.load(); }
  int accepted() const { return accepted_.load(); }

 private:
  void accept_loop() {
    for (;;) {
      const int c = ::accept(listen_fd_, nullptr, nullptr);
      if (c < 0) return;
      const int s = connect_raw(target_);
      const int id = accepted_++;
      pumps_.emplace_back([this, c, s, id] { pump(c, s, id); });
    }
  }
  void pump(int c, int s, int id) {
    char buf[16384];
    pollfd p[2] = {{c, POLLIN, 0}, {s, POLLIN, 0}};
    for (bool open = s >= 0; open && !stopping_;) {
      if (::poll(p, 2, 50) <= 0) continue;
      for (int i = 0; i < 2 && open; ++i) {
        if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        open = n > 0 && !(i == 0 && id < cut_below_) && ::write(p[1 - i].fd, buf, n) == n;
      }
    }
    ::close(c);
    if (s >= 0) ::close(s);
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint16_t> target_{0};
  std::atomic<int> accepted_{0};
  std::atomic<int> cut_below_{0};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::vector<std::thread> pumps_;  // the acceptor's until it ends
};

TEST(HttpPool, ConnectionCloseClientsShareAHandfulOfUpstreamHandshakes) {
  HttpPair pair;  // one worker each side
  constexpr int kRequests = 1000;
  int failed = 0;
  std::string first_failure;
  for (int i = 0; i < kRequests; ++i) {
    const PlainExchange r = plain_exchange(pair.outbound_port(), kRequest);
    if (!ok(r) && failed++ == 0) first_failure = r.reply;
  }
  EXPECT_EQ(failed, 0) << first_failure;
  const double handshakes = pair.inbound_metric("mtls_handshakes_total", {{"result", "success"}});
  std::printf("[ pool ] %d requests, %d new downstream connections: %.0f inbound handshakes\n",
              kRequests, kRequests, handshakes);
  EXPECT_GE(handshakes, 1);
  EXPECT_LE(handshakes, 1 + 2);  // workers + 2
  EXPECT_GE(pair.outbound_metric("mtls_upstream_pool_reuse_total", {}), kRequests - 3);
}

TEST(HttpPool, AnUpstreamClosingIdlePooledConnectionsFailsNoRequest) {
  // The inbound closes a kept-alive connection after 300 ms without a request: pooled
  // connections die at every phase of their idleness while requests keep coming. (Not less: a
  // new connection that waits longer for its first request, as on a loaded machine, is closed
  // too, and a new connection's failure is rightly not retried.)
  HttpPair pair([](config::Config& c) {
    if (c.inbound.empty()) return;
    c.http.idle_timeout = std::chrono::milliseconds(300);
    c.limits.connect_timeout = std::chrono::milliseconds(400);  // a tick every 100 ms
  });
  constexpr int kRequests = 40;
  int failed = 0;
  std::string first_failure;
  for (int i = 0; i < kRequests; ++i) {
    // Gaps around the upstream's idle timeout (and its tick), so closes meet checkouts.
    std::this_thread::sleep_for(std::chrono::milliseconds((i % 8) * 75));
    const PlainExchange r = plain_exchange(pair.outbound_port(), kRequest);
    if (!ok(r) && failed++ == 0) first_failure = r.reply;
  }
  EXPECT_EQ(failed, 0) << first_failure;
  // The closes did happen: the pool had to open new connections.
  const double handshakes = pair.inbound_metric("mtls_handshakes_total", {{"result", "success"}});
  std::printf("[ pool ] %d requests with idle gaps: %.0f inbound handshakes\n", kRequests,
              handshakes);
  EXPECT_GT(handshakes, 3);
}

TEST(HttpPool, APooledConnectionClosedBeforeTheFirstRequestIsReplacedNotPassedOn) {
  // The outbound checks an upstream connection out as soon as the app connects. If the upstream
  // closes that (reused, idle) connection before the app's first request arrives, the app must
  // not see its new connection closed with no answer: it would not retry.
  HttpPair pair([](config::Config& c) {
    if (c.inbound.empty()) return;
    c.http.idle_timeout = std::chrono::milliseconds(300);
    c.limits.connect_timeout = std::chrono::milliseconds(400);  // a tick every 100 ms
  });
  ASSERT_TRUE(ok(plain_exchange(pair.outbound_port(), kRequest)));  // pools one connection
  HttpConnection app(pair.outbound_port());
  ASSERT_TRUE(app.connected());
  ASSERT_EQ(pair.wait_outbound_metric("mtls_upstream_pool_reuse_total", {}, 1), 1);  // checked out
  // The inbound closes the checked-out connection after its idle timeout; the outbound takes a
  // new one (a second handshake) instead of closing the app's connection.
  EXPECT_EQ(pair.wait_inbound_metric("mtls_handshakes_total", {{"result", "success"}}, 2), 2);
  ASSERT_TRUE(app.send(kRequest));
  const HttpReply reply = app.read_reply();
  EXPECT_EQ(reply.status, 200) << reply.head;
}

TEST(HttpPool, AnIdempotentRequestLostOnAReusedConnectionIsSentAgainOnAFreshOne) {
  CuttingForwarder forwarder;
  HttpPair pair([&](config::Config& c) {
    if (c.outbound.empty()) return;
    forwarder.forward_to(c.outbound.back().forward.port);
    c.outbound.back().forward.port = forwarder.port();
  });
  ASSERT_TRUE(ok(plain_exchange(pair.outbound_port(), kRequest)));  // pools one connection

  forwarder.cut();
  const PlainExchange get = plain_exchange(pair.outbound_port(), kRequest);
  EXPECT_TRUE(ok(get)) << get.reply;
  EXPECT_EQ(forwarder.accepted(), 2);  // the resend took a new connection

  // A POST may have had effects: it is not sent again, the app gets 502.
  forwarder.cut();
  const PlainExchange post =
      plain_exchange(pair.outbound_port(),
                     "POST /pooled HTTP/1.1\r\nHost: backend.local\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n");
  EXPECT_EQ(post.reply.rfind("HTTP/1.1 502 ", 0), 0u) << post.reply;
  EXPECT_EQ(forwarder.accepted(), 2);
}

TEST(HttpPool, AResendTakesANewConnectionNotAnotherIdleOneThatMayBeClosingToo) {
  CuttingForwarder forwarder;
  HttpPair pair([&](config::Config& c) {
    if (c.outbound.empty()) return;
    forwarder.forward_to(c.outbound.back().forward.port);
    c.outbound.back().forward.port = forwarder.port();
  });
  {  // Two apps at once: two upstream connections, both pooled afterwards.
    HttpConnection a(pair.outbound_port());
    HttpConnection b(pair.outbound_port());
    ASSERT_TRUE(a.send(kRequest) && b.send(kRequest));
    ASSERT_EQ(a.read_reply().status, 200);
    ASSERT_EQ(b.read_reply().status, 200);
  }
  ASSERT_EQ(forwarder.accepted(), 2);
  ASSERT_EQ(pair.wait_outbound_metric("mtls_upstream_pool_connections", {{"state", "idle"}}, 2), 2);

  forwarder.cut();  // both idle connections are dead to the next request
  const PlainExchange get = plain_exchange(pair.outbound_port(), kRequest);
  EXPECT_TRUE(ok(get)) << get.reply;
  EXPECT_EQ(forwarder.accepted(), 3);  // the resend took a new connection, not the other idle one
}

// The app speaks HTTP: when no upstream connection can be had it gets an HTTP answer (503 and a
// close, as Envoy's "upstream connect error"), not a reset it cannot tell from a crash.
TEST(HttpPool, AnUnreachablePeerIsAnswered503AndCounted) {
  const std::uint16_t dead = closed_port();
  HttpPair pair([&](config::Config& c) {
    if (!c.outbound.empty()) c.outbound.back().forward.port = dead;
  });
  const PlainExchange r = plain_exchange(pair.outbound_port(), kRequest);
  EXPECT_EQ(r.reply.rfind("HTTP/1.1 503 ", 0), 0u) << r.reply;
  EXPECT_NE(r.reply.find("\r\nConnection: close\r\n"), std::string::npos) << r.reply;
  EXPECT_EQ(
      pair.wait_outbound_metric("mtls_http_errors_total", {{"reason", "upstream_unavailable"}}, 1),
      1);
  EXPECT_GE(pair.outbound_metric("mtls_upstream_connect_failures_total", {{"reason", "refused"}}),
            1);
  EXPECT_EQ(pair.wait_outbound_metric("mtls_http_requests_total", {{"code_class", "5xx"}}, 1), 1);
}

// A reused connection lost under an idempotent request, and the fresh one for its resend fails
// too: the request is answered 503, as no byte of a response was sent.
TEST(HttpPool, AResendThatFindsNoUpstreamIsAnswered503) {
  CuttingForwarder forwarder;
  const std::uint16_t dead = closed_port();
  HttpPair pair([&](config::Config& c) {
    if (c.outbound.empty()) return;
    forwarder.forward_to(c.outbound.back().forward.port);
    c.outbound.back().forward.port = forwarder.port();
  });
  ASSERT_TRUE(ok(plain_exchange(pair.outbound_port(), kRequest)));  // pools one connection
  forwarder.cut();
  forwarder.forward_to(dead);  // the resend's connection is accepted, then closed
  const PlainExchange get = plain_exchange(pair.outbound_port(), kRequest);
  EXPECT_EQ(get.reply.rfind("HTTP/1.1 503 ", 0), 0u) << get.reply;
  EXPECT_EQ(forwarder.accepted(), 2);
  EXPECT_EQ(
      pair.wait_outbound_metric("mtls_http_errors_total", {{"reason", "upstream_unavailable"}}, 1),
      1);
}

// A live app connection holds its pooled upstream connection between requests: a trust reload
// that revokes the peer's certificate closes it, as it closes a TCP session's (the pool's idle
// connections are closed anyway).
TEST(HttpPool, ACheckedOutConnectionToAPeerRevokedByACrlReloadIsClosed) {
  std::string crl;
  // The tweak runs in HttpPair's constructor, after its first member (the PKI) is built: the
  // outbound starts with an empty CRL of that CA.
  HttpPair pair([&](config::Config& c) {
    if (c.outbound.empty()) return;
    crl = c.identity.file.cert + ".crl";
    certs::write_file(crl, crl_pem(pair.pki.ca(), {}), 0644);
    c.trust.crl = crl;
  });
  ASSERT_FALSE(crl.empty());
  ASSERT_TRUE(eventually([&] { return pair.outbound->contexts() != nullptr; }));
  const int app = connect_raw(pair.outbound_port());
  ASSERT_GE(app, 0);
  const std::string keep_alive = "GET /live HTTP/1.1\r\nHost: backend.local\r\n\r\n";
  ASSERT_EQ(::write(app, keep_alive.data(), keep_alive.size()), ssize_t(keep_alive.size()));
  std::string reply;
  char buf[4096];
  for (int i = 0; i < 50 && reply.find("\r\n\r\n") == std::string::npos; ++i) {
    pollfd p{app, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      const ssize_t n = ::read(app, buf, sizeof buf);
      if (n <= 0) break;
      reply.append(buf, std::size_t(n));
    }
  }
  ASSERT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;

  const std::string digest = pair.outbound->contexts()->trust_digest;
  const std::string serial =
      certs::serial_hex(certs::load_certificates(pair.backend_files.cert).front().get());
  certs::write_file(crl, crl_pem(pair.pki.ca(), {serial}), 0644);
  ASSERT_TRUE(eventually([&] { return pair.outbound->contexts()->trust_digest != digest; }));

  // The app's connection ends (its upstream was refused); nothing of a new request gets through.
  bool closed = false;
  for (int i = 0; i < 30 && !closed; ++i) {
    pollfd p{app, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      const ssize_t n = ::read(app, buf, sizeof buf);
      closed = n <= 0;
    }
  }
  ::close(app);
  EXPECT_TRUE(closed) << "the app's connection to a revoked peer stayed open";
  EXPECT_EQ(
      pair.wait_outbound_metric("mtls_connections_refused_total", {{"reason", "trust_changed"}}, 1),
      1);
}

}  // namespace
}  // namespace mtls::test
