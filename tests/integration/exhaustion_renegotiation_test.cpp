// TLS 1.2 renegotiation is refused both ways (SSL_OP_NO_RENEGOTIATION): a client asking the
// inbound for a new handshake gets a no_renegotiation alert and no second handshake, and a
// server asking the outbound (HelloRequest) gets the same; the sidecars keep serving others.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "certs/openssl_ptr.hpp"
#include "proxy/demo/demo_sockets.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

using Clock = std::chrono::steady_clock;

// The last alert received (not sent), for the assertions ("no renegotiation").
void record_alert(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT) return;
  *static_cast<std::string*>(SSL_get_app_data(ssl)) = SSL_alert_desc_string_long(ret);
}

certs::SslCtxPtr tls12_context(bool server, const TestPki::Files& files, const std::string& ca) {
  certs::SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_use_certificate_file(ctx.get(), files.cert.c_str(), SSL_FILETYPE_PEM), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx.get(), files.key.c_str(), SSL_FILETYPE_PEM), 1);
  EXPECT_EQ(SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr), 1);
  if (!server) SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

std::string ssl_error_text() {
  const unsigned long e = ERR_peek_last_error();
  const char* reason = e ? ERR_reason_error_string(e) : nullptr;
  ERR_clear_error();
  return reason ? reason : "";
}

TEST(ExhaustionRenegotiation, TheInboundRefusesAClientInitiatedTls12Renegotiation) {
  LogCapture logs;
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SidecarPair pair(pki, backend.port());
  const certs::SslCtxPtr ctx = tls12_context(false, pair.frontend, pki.ca_bundle());

  const int fd = connect_raw(pair.inbound_port());
  ASSERT_GE(fd, 0);
  proxy::demo::set_io_timeout(fd, 5000);
  const certs::SslPtr ssl(SSL_new(ctx.get()));
  std::string alert;
  SSL_set_app_data(ssl.get(), &alert);
  SSL_set_info_callback(ssl.get(), record_alert);
  SSL_set_fd(ssl.get(), fd);
  SSL_set_tlsext_host_name(ssl.get(), "backend.local");
  ASSERT_EQ(SSL_connect(ssl.get()), 1) << ssl_error_text();
  ASSERT_STREQ(SSL_get_version(ssl.get()), "TLSv1.2");
  char buf[16] = {};
  ASSERT_EQ(SSL_write(ssl.get(), "one", 3), 3);
  ASSERT_EQ(SSL_read(ssl.get(), buf, sizeof buf), 3);  // relayed and echoed: the session is up

  const auto start = Clock::now();
  ASSERT_EQ(SSL_renegotiate(ssl.get()), 1);  // our side is willing; the server must say no
  const int rc = SSL_do_handshake(ssl.get());
  const std::string why = ssl_error_text();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  const bool refused = rc != 1 && alert == "no renegotiation";
  EXPECT_NE(rc, 1) << "a second handshake completed";
  EXPECT_EQ(alert, "no renegotiation");
  EXPECT_EQ(why, "no renegotiation");
  ::close(fd);
  std::printf(
      "[ measure  ] TLS 1.2 client renegotiation refused in %.1f ms: alert \"%s\", client error "
      "\"%s\"\n",
      ms, alert.c_str(), why.c_str());
  score("renegotiation_client_refused_ms", ms, refused && ms < 1000,
        "TLS1.2 SSL_renegotiate against the inbound: no_renegotiation alert, no second handshake");
  // The connection ends (the client gives up) and is logged; the sidecar serves the next one.
  EXPECT_NE(logs.wait_for({"\"listener\":\"in\"", "\"tls_version\":\"TLSv1.2\"", "connection_end"}),
            "");
  EXPECT_EQ(plain_exchange(pair.outbound_port(), "after").reply, "after");
}

TEST(ExhaustionRenegotiation, TheOutboundRefusesAServersHelloRequest) {
  TestPki pki;
  const TestPki::Files server_files = pki.leaf("backend", kBackendId, {"backend.local"});
  const certs::SslCtxPtr server_ctx = tls12_context(true, server_files, pki.ca_bundle());
  std::uint16_t port = 0;
  proxy::demo::Fd listener = proxy::demo::listen_loopback(port);

  struct ServerView {
    std::string first, alert, error;
    int hello_request_rc = 0, read_rc = 1;
  } seen;
  std::thread server([&] {
    const int fd = ::accept(listener.get(), nullptr, nullptr);
    if (fd < 0) return;
    proxy::demo::set_io_timeout(fd, 5000);
    const certs::SslPtr ssl(SSL_new(server_ctx.get()));
    SSL_set_app_data(ssl.get(), &seen.alert);
    SSL_set_info_callback(ssl.get(), record_alert);
    SSL_set_fd(ssl.get(), fd);
    if (SSL_accept(ssl.get()) == 1) {
      char buf[16] = {};
      const int n = SSL_read(ssl.get(), buf, sizeof buf);
      if (n > 0) seen.first.assign(buf, std::size_t(n));
      SSL_renegotiate(ssl.get());
      seen.hello_request_rc = SSL_do_handshake(ssl.get());  // sends the HelloRequest
      // A willing client answers with a ClientHello (the new handshake runs inside this read,
      // which then waits for data); an unwilling one with a no_renegotiation alert.
      seen.read_rc = SSL_read(ssl.get(), buf, sizeof buf);
      seen.error = ssl_error_text();
    }
    ::close(fd);
  });

  config::Config c = base_config(pki, pki.leaf("frontend", kFrontendId, {"frontend.local"}));
  c.outbound.push_back(outbound_listener(port));
  proxy::Sidecar outbound(std::move(c), {.admin = false});
  outbound.start();
  const int app = connect_raw(outbound.port("out"));
  ASSERT_GE(app, 0);
  ASSERT_EQ(::send(app, "hi", 2, MSG_NOSIGNAL), 2);
  server.join();
  const long end_ms = ms_until_closed(app, 5000);
  ::close(app);

  EXPECT_EQ(seen.first, "hi");
  EXPECT_EQ(seen.hello_request_rc, 1);
  EXPECT_LE(seen.read_rc, 0) << "the outbound answered the HelloRequest with a handshake";
  EXPECT_EQ(seen.alert, "no renegotiation");
  EXPECT_EQ(seen.error, "no renegotiation");
  EXPECT_GE(end_ms, 0) << "the app connection was not ended after the server gave up";
  score("renegotiation_server_refused", seen.alert == "no renegotiation" ? 1 : 0,
        seen.read_rc <= 0 && seen.alert == "no renegotiation",
        "TLS1.2 HelloRequest to the outbound: answered with no_renegotiation alert");
}

}  // namespace
}  // namespace mtls::test
