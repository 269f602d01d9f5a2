// `mtls-sidecar probe`: the URL rules (http, IP literal, loopback unless allowed) and the verdict
// against real loopback servers: a 2xx passes, any other status, a refused connection and a
// server that never answers fail with a reason, the last within the timeout.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "proxy/sidecar/http_probe.hpp"
#include "tests/support/fake_http_server.hpp"

namespace mtls::proxy {
namespace {

using certs::aws::HttpRequest;
using namespace std::chrono_literals;

ProbeTarget parsed(const std::string& url, bool allow_remote = false) {
  ProbeTarget t;
  std::string why;
  EXPECT_TRUE(parse_probe_url(url, allow_remote, t, why)) << url << ": " << why;
  return t;
}

std::string refusal(const std::string& url, bool allow_remote = false) {
  ProbeTarget t;
  std::string why;
  EXPECT_FALSE(parse_probe_url(url, allow_remote, t, why)) << url;
  return why;
}

TEST(HttpProbeUrl, LoopbackHttpUrlsParse) {
  const ProbeTarget t = parsed("http://127.0.0.1:9901/ready");
  EXPECT_EQ(t.address.host, "127.0.0.1");
  EXPECT_EQ(t.address.port, 9901);
  EXPECT_EQ(t.path, "/ready");
  EXPECT_EQ(parsed("http://[::1]:9901").path, "/");
  EXPECT_EQ(parsed("http://localhost:9901/healthz").address.host, "127.0.0.1");
  EXPECT_EQ(parsed("http://127.8.0.1:80/a?b=c").path, "/a?b=c");
}

TEST(HttpProbeUrl, RefusesWhatAHealthCheckDoesNotNeed) {
  EXPECT_NE(refusal("https://127.0.0.1:9901/ready").find("only http://"), std::string::npos);
  EXPECT_NE(refusal("http://10.0.0.1:9901/ready").find("not a loopback address"),
            std::string::npos);
  EXPECT_NE(refusal("http://[2001:db8::1]:80/").find("not a loopback address"), std::string::npos);
  EXPECT_NE(refusal("http://admin.local:9901/").find("not an IP address"), std::string::npos);
  EXPECT_FALSE(refusal("http://127.0.0.1/ready").empty());  // no port
  EXPECT_NE(refusal("http://127.0.0.1:9901/a b").find("space"), std::string::npos);
  EXPECT_EQ(parsed("http://10.0.0.1:9901/ready", true).address.host, "10.0.0.1");
}

TEST(HttpProbe, TwoHundredPassesAndSendsThePath) {
  test::FakeHttpServer server([](const HttpRequest&) { return test::reply(200, "ready\n"); });
  const HttpProbeResult r = http_probe(parsed(server.url() + "/ready?x=1"), 2s);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.detail, "200 OK");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].method, "GET");
  EXPECT_EQ(server.requests()[0].path, "/ready");
  EXPECT_EQ(server.requests()[0].query, "x=1");
}

// `status` reads the body: all of it, however the server splits it, and no more than it says.
TEST(HttpProbe, ReturnsTheWholeBodyOfTheAnswer) {
  const std::string big(200000, 'x');
  test::FakeHttpServer server([&](const HttpRequest&) { return test::reply(200, big + "end"); });
  const HttpProbeResult r = http_probe(parsed(server.url() + "/status"), 2s);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.body.size(), big.size() + 3);
  EXPECT_EQ(r.body.substr(big.size()), "end");
}

TEST(StatusTarget, AcceptsTheUsualFormsAndAsksForStatus) {
  EXPECT_EQ(status_target("http://127.0.0.1:9901").address.port, 9901);
  EXPECT_EQ(status_target("127.0.0.1:9901/").address.host, "127.0.0.1");
  EXPECT_EQ(status_target("http://[::1]:9901").address.host, "::1");
  EXPECT_EQ(status_target("10.0.0.7:9901").path, "/status");  // an operator may name any host
  EXPECT_THROW(status_target("http://127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(status_target("http://127.0.0.1:99/x"), std::invalid_argument);
  EXPECT_THROW(status_target("https://127.0.0.1:99"), std::invalid_argument);
}

TEST(HttpProbe, AnyOtherStatusFailsNamingIt) {
  test::FakeHttpServer server([](const HttpRequest&) { return test::reply(503, "draining\n"); });
  const HttpProbeResult r = http_probe(parsed(server.url() + "/ready"), 2s);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.detail, "503 Service Unavailable");
}

// A port nobody listens on: bound, never listened, so nothing else can take it meanwhile.
TEST(HttpProbe, RefusedConnectionFailsSayingSo) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const HttpProbeResult r =
      http_probe(parsed("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/"), 2s);
  ::close(fd);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 0u);
  EXPECT_EQ(r.detail, "connect: Connection refused");
}

// Listening, never accepting nor answering: the kernel completes the connect, then silence.
TEST(HttpProbe, SilentServerFailsWithinTheTimeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const auto start = std::chrono::steady_clock::now();
  const HttpProbeResult r =
      http_probe(parsed("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/"), 300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "no response within 300ms");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s);
}

}  // namespace
}  // namespace mtls::proxy
