// The admin server over real HTTP: /metrics after known traffic shows exactly that traffic,
// per-peer counts respect their cap, /certs follows a rotation, /ready follows the lifecycle; and
// the server's own bounds: no request bodies, a read deadline, a connection cap.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "certs/local_ca.hpp"
#include "proxy/demo/tls_probe.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

struct HttpReply {
  int status = 0;
  std::string body;
};

HttpReply http_get(std::uint16_t port, const std::string& path) {
  const PlainExchange x = plain_exchange(port, "GET " + path + " HTTP/1.0\r\n\r\n", 5000);
  HttpReply r;
  if (x.reply.size() > 12) r.status = std::stoi(x.reply.substr(9, 3));
  if (auto at = x.reply.find("\r\n\r\n"); at != std::string::npos) r.body = x.reply.substr(at + 4);
  return r;
}

TEST(Admin, MetricsShowExactlyTheTrafficThatHappened) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  const std::string payload(12345, 'x');
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(plain_exchange(pair.outbound_port(), payload).reply, payload);
  const auto intruder = pki.leaf("intruder", "spiffe://test.local/ns/default/sa/intruder", {});
  for (int i = 0; i < 2; ++i) {
    proxy::ProbeOptions o;
    o.port = pair.inbound_port();
    o.cert_file = intruder.cert;
    o.key_file = intruder.key;
    o.half_close = true;
    EXPECT_TRUE(proxy::tls_probe(o, "x").reply.empty());
  }
  std::string text;
  for (int i = 0; i < 300; ++i) {
    text = http_get(pair.inbound->admin_port(), "/metrics").body;
    if (sample(text, "mtls_connections_active", {}) == 0 &&
        sample(text, "mtls_handshakes_total", {{"reason", "identity_denied"}}) == 2)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::map<std::string, std::string> in = {{"direction", "inbound"}, {"listener", "in"}};
  auto with = [&](std::map<std::string, std::string> extra) {
    extra.insert(in.begin(), in.end());
    return extra;
  };
  EXPECT_EQ(sample(text, "mtls_handshakes_total", with({{"result", "success"}})), 5);
  EXPECT_EQ(sample(text, "mtls_handshakes_total", with({{"reason", "identity_denied"}})), 2);
  EXPECT_EQ(sample(text, "mtls_connections_total", in), 7);
  EXPECT_EQ(sample(text, "mtls_bytes_total", with({{"from", "downstream"}})), 5 * 12345);
  EXPECT_EQ(sample(text, "mtls_bytes_total", with({{"from", "upstream"}})), 5 * 12345);
  EXPECT_EQ(sample(text, "mtls_peer_connections_total", with({{"peer", kFrontendId}})), 5);
  EXPECT_EQ(sample(text, "mtls_handshake_duration_seconds_count", in), 5);
  EXPECT_GT(sample(text, "mtls_certificate_expiry_timestamp_seconds", {{"kind", "identity"}}), 0);
}

TEST(Admin, PeerLabelsAreCappedAndTheRestFoldIntoOther) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  config::Config c = base_config(pki, pki.leaf("backend", kBackendId, {"backend.local"}));
  c.metrics.max_peer_labels = 2;
  c.inbound.push_back(inbound_listener(backend.port()));
  c.inbound.back().allow = {};
  c.inbound.back().allow.trust_domains = {"test.local"};
  proxy::Sidecar sidecar(std::move(c));
  sidecar.start();
  for (int i = 0; i < 4; ++i) {
    const auto files =
        pki.leaf("peer" + std::to_string(i), "spiffe://test.local/sa/peer" + std::to_string(i), {});
    proxy::ProbeOptions o;
    o.port = sidecar.port("in");
    o.cert_file = files.cert;
    o.key_file = files.key;
    o.half_close = true;
    ASSERT_EQ(proxy::tls_probe(o, "hi").reply, "hi");
  }
  const std::string text = http_get(sidecar.admin_port(), "/metrics").body;
  EXPECT_EQ(sample(text, "mtls_peer_connections_total", {{"peer", "spiffe://test.local/sa/peer0"}}),
            1);
  EXPECT_EQ(sample(text, "mtls_peer_connections_total", {{"peer", "spiffe://test.local/sa/peer1"}}),
            1);
  EXPECT_EQ(sample(text, "mtls_peer_connections_total", {{"peer", "other"}}), 2);
  EXPECT_EQ(sample(text, "mtls_peer_connections_total", {{"peer", "spiffe://test.local/sa/peer3"}}),
            -1);
}

TEST(Admin, CertsDescribesTheServedIdentityAndFollowsARotation) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  const auto before = boost::json::parse(http_get(pair.inbound->admin_port(), "/certs").body);
  const auto& id = before.at("identity");
  EXPECT_EQ(id.at("uri_sans").at(0).as_string(), kBackendId);
  EXPECT_EQ(id.at("source").as_string(), "file");
  EXPECT_EQ(before.at("last_reload").at("result").as_string(), "success");
  EXPECT_EQ(id.at("serial").as_string(), pair.inbound->contexts()->serial_hex);

  pki.leaf("backend", kBackendId, {"backend.local"});  // rewrites backend.crt/.key in place
  ASSERT_TRUE(pair.inbound->reload().ok);
  const auto after = boost::json::parse(http_get(pair.inbound->admin_port(), "/certs").body);
  EXPECT_NE(after.at("identity").at("serial"), id.at("serial"));
  EXPECT_EQ(after.at("identity").at("serial").as_string(), pair.inbound->contexts()->serial_hex);
}

TEST(Admin, CertsGivesTheNextRenewalOfALocalCaLeaf) {
  TestPki scratch;  // for its temp directory
  const std::string dir = scratch.dir() + "/ca";
  certs::LocalCa::init(dir, "test.local");
  config::Config c = local_ca_config(dir, closed_port(), std::chrono::hours(1), 1);
  c.admin.listen = {"127.0.0.1", 0};
  proxy::Sidecar sidecar(std::move(c));
  sidecar.start();
  const auto doc = boost::json::parse(http_get(sidecar.admin_port(), "/certs").body);
  const auto& id = doc.at("identity");
  // renew_at 2/3 of the 1 h ttl, ±10 %: 2160..2640 s from now.
  const std::int64_t in = id.at("renews_in_seconds").to_number<std::int64_t>();
  EXPECT_GE(in, 2160 - 5);
  EXPECT_LE(in, 2640);
  EXPECT_FALSE(id.at("next_renewal").as_string().empty());
}

TEST(Admin, ReadyIsFalseBeforeStartTrueWhenServingAnd503WhenDraining) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  config::Config c = base_config(pki, pki.leaf("backend", kBackendId, {"backend.local"}));
  c.limits.drain_delay = std::chrono::seconds(5);
  c.inbound.push_back(inbound_listener(backend.port()));
  proxy::Sidecar sidecar(std::move(c));
  std::string why;
  EXPECT_FALSE(sidecar.ready(why));
  EXPECT_EQ(why, "identity not loaded");
  sidecar.start();
  EXPECT_EQ(http_get(sidecar.admin_port(), "/ready").status, 200);
  EXPECT_EQ(http_get(sidecar.admin_port(), "/healthz").status, 200);
  sidecar.request_drain();
  HttpReply r;
  for (int i = 0; i < 100 && r.status != 503; ++i) r = http_get(sidecar.admin_port(), "/ready");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: draining\n");
  EXPECT_EQ(http_get(sidecar.admin_port(), "/healthz").status, 200);  // alive while draining
}

// An inbound sidecar whose admin server has the given bounds.
std::unique_ptr<proxy::Sidecar> admin_sidecar(TestPki& pki, std::uint16_t backend_port,
                                              std::chrono::milliseconds idle_timeout,
                                              std::uint32_t max_connections) {
  config::Config c = base_config(pki, pki.leaf("backend", kBackendId, {"backend.local"}));
  c.admin.idle_timeout = idle_timeout;
  c.admin.max_connections = max_connections;
  c.inbound.push_back(inbound_listener(backend_port));
  auto sidecar = std::make_unique<proxy::Sidecar>(std::move(c));
  sidecar->start();
  return sidecar;
}

bool send_all(int fd, const std::string& data) {
  return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == ssize_t(data.size());
}

// What the server sends until it closes (or `cap_ms` passes).
std::string read_reply(int fd, int cap_ms) {
  timeval tv{cap_ms / 1000, (cap_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, std::size_t(n));
  return reply;
}

TEST(Admin, RefusesRequestBodiesWithoutReadingThem) {
  TestPki pki;
  auto sidecar = admin_sidecar(pki, closed_port(), std::chrono::seconds(10), 32);
  // A 1 MB upload announced but sent slowly: answered 405 at the header, the body never awaited.
  int fd = connect_raw(sidecar->admin_port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" +
                               std::string(1000, 'x')));
  const auto start = std::chrono::steady_clock::now();
  std::string reply = read_reply(fd, 5000);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(reply.substr(0, 30), "HTTP/1.1 405 Method Not Allowe");
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
  ::close(fd);

  // A GET with a body: 413, closed.
  fd = connect_raw(sidecar->admin_port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"));
  reply = read_reply(fd, 5000);
  EXPECT_EQ(reply.substr(0, 12), "HTTP/1.1 413") << reply;
  ::close(fd);

  // Header-only GET and HEAD still work, kept alive on one connection.
  fd = connect_raw(sidecar->admin_port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd,
                       "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  reply = read_reply(fd, 5000);
  EXPECT_EQ(reply.substr(0, 15), "HTTP/1.1 200 OK") << reply;
  EXPECT_NE(reply.find("\r\n\r\nHTTP/1.1 200 OK"), std::string::npos) << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\nok\n")) << reply;
  ::close(fd);
}

TEST(Admin, ClosesAClientThatSendsTooSlowlyAtTheIdleTimeout) {
  TestPki pki;
  auto sidecar = admin_sidecar(pki, closed_port(), std::chrono::milliseconds(600), 32);
  // Half a header, then silence: closed at idle_timeout, not at Beast's 30 s.
  const int slow = connect_raw(sidecar->admin_port());
  ASSERT_GE(slow, 0);
  ASSERT_TRUE(send_all(slow, "GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  const long slow_ms = ms_until_closed(slow, 10000);
  EXPECT_GE(slow_ms, 500);
  EXPECT_LE(slow_ms, 2000);
  ::close(slow);
  // A kept-alive connection idle after its answer: the same limit.
  const int idle = connect_raw(sidecar->admin_port());
  ASSERT_GE(idle, 0);
  ASSERT_TRUE(send_all(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  const long idle_ms = ms_until_closed(idle, 10000);
  EXPECT_GE(idle_ms, 500);
  EXPECT_LE(idle_ms, 2000);
  ::close(idle);
}

TEST(Admin, CapsConcurrentConnectionsAndServesAgainWhenASlotFrees) {
  TestPki pki;
  auto sidecar = admin_sidecar(pki, closed_port(), std::chrono::seconds(30), 4);
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(connect_raw(sidecar->admin_port()));
    ASSERT_GE(held.back(), 0);
  }
  // Accepted in order: the fifth finds every slot taken and is closed at once, unanswered.
  const int extra = connect_raw(sidecar->admin_port());
  ASSERT_GE(extra, 0);
  ASSERT_TRUE(send_all(extra, "GET /healthz HTTP/1.0\r\n\r\n"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(read_reply(extra, 5000), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ::close(extra);
  // The held connections still get answers: the cap refuses newcomers, not members.
  ASSERT_TRUE(send_all(held[0], "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  char buf[256];
  EXPECT_GT(::recv(held[0], buf, sizeof buf, 0), 0);
  // Freeing one slot lets a new client in again (once the server has seen the close).
  ::close(held[1]);
  held.erase(held.begin() + 1);
  int status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    status = http_get(sidecar->admin_port(), "/healthz").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, 200);
  for (int fd : held) ::close(fd);
}

}  // namespace
}  // namespace mtls::test
