// A failure reaches the app as a reset, never as a clean end: when the inbound cannot reach its
// app it aborts the TLS connection (RST, no close_notify), and the outbound passes a TLS stream
// that ended without close_notify (or with a reset) on to its app as a reset. A legacy client
// then sees "connection reset" instead of an empty, apparently complete reply.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <thread>

#include "certs/openssl_ptr.hpp"
#include "proxy/demo/tls_probe.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

bool is_reset(const proxy::ProbeResult& r) {
  return !r.eof && r.error.find("Connection reset by peer") != std::string::npos;
}

// A TLS server that answers the first request with `reply` and then sends a FIN without
// close_notify: a truncated stream. Serves one connection.
class TruncatingServer {
 public:
  TruncatingServer(const TestPki::Files& identity, std::string reply)
      : reply_(std::move(reply)), ctx_(SSL_CTX_new(TLS_server_method())) {
    SSL_CTX_use_certificate_chain_file(ctx_.get(), identity.cert.c_str());
    SSL_CTX_use_PrivateKey_file(ctx_.get(), identity.key.c_str(), SSL_FILETYPE_PEM);
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 4);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TruncatingServer() {
    ::shutdown(listener_, SHUT_RDWR);  // wakes accept() if nobody came
    thread_.join();
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void serve() {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    const timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    certs::SslPtr ssl(SSL_new(ctx_.get()));
    SSL_set_fd(ssl.get(), fd);
    char buffer[256];
    if (SSL_accept(ssl.get()) == 1 && SSL_read(ssl.get(), buffer, sizeof buffer) > 0) {
      SSL_write(ssl.get(), reply_.data(), int(reply_.size()));
      ::shutdown(fd, SHUT_WR);  // FIN, and no close_notify before it
      while (::recv(fd, buffer, sizeof buffer, 0) > 0) {
      }
    }
    ::close(fd);
  }

  std::string reply_;
  certs::SslCtxPtr ctx_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST(ResetPassing, AnAppBehindAnUnreachableForwardSeesAResetAndBothLogTheFailure) {
  LogCapture logs;
  TestPki pki;
  SidecarPair pair(pki, closed_port());
  proxy::ProbeOptions o;
  o.port = pair.outbound_port();
  const proxy::ProbeResult r = proxy::plain_probe(o, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(r.reply.empty());
  EXPECT_TRUE(is_reset(r)) << "eof " << r.eof << ", error: " << r.error;
  // The log says what the metric says: reason "refused", as mtls_upstream_connect_failures_total.
  EXPECT_NE(logs.wait_for({"\"direction\":\"inbound\"", "\"result\":\"error\"",
                           "\"reason\":\"refused\"", "cannot connect"}),
            "");
  EXPECT_NE(logs.wait_for({"\"direction\":\"outbound\"", "\"result\":\"error\""}), "");
  for (const std::string& line : logs.lines()) {
    EXPECT_EQ(line.find("\"reason\":\"upstream_"), std::string::npos) << line;
    if (line.find("\"direction\":\"outbound\"") != std::string::npos) {
      EXPECT_EQ(line.find("\"result\":\"ok\""), std::string::npos) << line;
    }
  }
}

TEST(ResetPassing, TheInboundAbortsItsTlsClientWithoutCloseNotifyWhenItsAppIsUnreachable) {
  TestPki pki;
  SidecarPair pair(pki, closed_port());
  proxy::ProbeOptions o;
  o.port = pair.inbound_port();
  o.ca_file = pki.ca_bundle();
  o.cert_file = pair.frontend.cert;
  o.key_file = pair.frontend.key;
  o.server_name = "backend.local";
  proxy::ProbeConnection c(o);  // sends nothing: the first event on it is the sidecar's
  ASSERT_TRUE(c.handshake_ok()) << c.result().error;
  EXPECT_EQ(c.read(1), "");
  EXPECT_TRUE(is_reset(c.result()))
      << "eof (close_notify) " << c.result().eof << ", error: " << c.result().error;
}

TEST(ResetPassing, TheOutboundPassesATlsStreamCutWithoutCloseNotifyToItsAppAsAReset) {
  LogCapture logs;
  TestPki pki;
  const TestPki::Files server = pki.leaf("backend", kBackendId, {"backend.local"});
  TruncatingServer truncating(server, "partial answer");
  config::Config c = base_config(pki, pki.leaf("frontend", kFrontendId, {}));
  c.outbound.push_back(outbound_listener(truncating.port()));
  proxy::Sidecar outbound(std::move(c), {.handle_signals = false, .admin = false});
  outbound.start();

  proxy::ProbeOptions o;
  o.port = outbound.port("out");
  const proxy::ProbeResult r = proxy::plain_probe(o, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.reply, "partial answer");  // what came is passed on, then the reset
  EXPECT_TRUE(is_reset(r)) << "eof " << r.eof << ", error: " << r.error;
  EXPECT_NE(logs.wait_for({"\"direction\":\"outbound\"", "\"reason\":\"truncated\""}), "");
}

}  // namespace
}  // namespace mtls::test
