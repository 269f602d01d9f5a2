// TlsStream::result, case by case: how each SSL_get_error answer (and errno behind
// SSL_ERROR_SYSCALL) becomes an IoStatus, on a real loopback TCP pair with real handshakes. Both
// ends are non-blocking TlsStreams driven in turn on this one thread; the "peer" misbehaves
// through its raw socket (FIN without close_notify, RST, plaintext) where a case needs it.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "proxy/tls_stream.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::test {
namespace {

namespace net = proxy::net;
using proxy::IoStatus;
using proxy::tcp;
using proxy::TlsStream;

struct TlsPair : ::testing::Test {
  TestPki pki;
  net::io_context io;
  certs::SslCtxPtr server_ctx{SSL_CTX_new(TLS_server_method())};
  certs::SslCtxPtr client_ctx{SSL_CTX_new(TLS_client_method())};
  std::unique_ptr<TlsStream> server, client;

  TlsPair() {
    const TestPki::Files files =
        pki.leaf("server", "spiffe://test.local/ns/default/sa/server", {"server.local"});
    SSL_CTX_use_certificate_chain_file(server_ctx.get(), files.cert.c_str());
    SSL_CTX_use_PrivateKey_file(server_ctx.get(), files.key.c_str(), SSL_FILETYPE_PEM);
    tcp::acceptor acceptor(io, {net::ip::address_v4::loopback(), 0});
    tcp::socket client_socket(io), server_socket(io);
    client_socket.connect(acceptor.local_endpoint());
    acceptor.accept(server_socket);
    server = std::make_unique<TlsStream>(std::move(server_socket),
                                         certs::SslPtr(SSL_new(server_ctx.get())));
    client = std::make_unique<TlsStream>(std::move(client_socket),
                                         certs::SslPtr(SSL_new(client_ctx.get())));
    SSL_set_accept_state(server->ssl());
    SSL_set_connect_state(client->ssl());
  }

  // Steps both handshakes until both finished; false if either failed.
  bool handshake() {
    bool server_done = false, client_done = false;
    for (int i = 0; i < 1000 && !(server_done && client_done); ++i) {
      if (!client_done) {
        const auto r = client->handshake();
        if (r.status == IoStatus::error) return false;
        client_done = r.status == IoStatus::ok;
      }
      if (!server_done) {
        const auto r = server->handshake();
        if (r.status == IoStatus::error) return false;
        server_done = r.status == IoStatus::ok;
      }
    }
    return server_done && client_done;
  }

  // Reads on `s` until something other than want_read, or gives up after ~2 s.
  proxy::IoResult read_until_settled(TlsStream& s) {
    char buf[4096];
    for (int i = 0; i < 2000; ++i) {
      const auto r = s.read_some(net::buffer(buf));
      if (r.status != IoStatus::want_read) return r;
      ::usleep(1000);
    }
    return {IoStatus::want_read, 0};
  }
};

TEST_F(TlsPair, DataFlowsAndAnEmptySocketWantsRead) {
  ASSERT_TRUE(handshake());
  const std::string hello = "hello";
  ASSERT_EQ(client->write_some(net::buffer(hello)).status, IoStatus::ok);
  char buf[64];
  proxy::IoResult r{IoStatus::want_read, 0};
  for (int i = 0; i < 1000 && r.status == IoStatus::want_read; ++i)
    r = server->read_some(net::buffer(buf));
  ASSERT_EQ(r.status, IoStatus::ok);
  EXPECT_EQ(std::string(buf, r.bytes), hello);
  EXPECT_EQ(server->read_some(net::buffer(buf)).status, IoStatus::want_read);
}

// OpenSSL reads the socket itself; the stream learns from the socket BIO that its last read()
// drained the socket (EAGAIN here), so the wait for new input skips the re-arm (epoll_ctl) that
// async_wait makes: unread input that was already reported does not complete it, new input does.
TEST_F(TlsPair, AWaitForNewInputAfterADrainingReadDoesNotReArmTheSocket) {
  ASSERT_TRUE(handshake());
  char buf[64];
  ASSERT_EQ(server->read_some(net::buffer(buf)).status, IoStatus::want_read);
  int completed = 0;
  auto wait = [&] {
    server->async_wait_new_input([&](proxy::error_code ec) { completed += ec ? 0 : 1; });
  };
  auto run_until = [&](int n) {
    for (int i = 0; i < 50 && completed < n; ++i) {
      io.restart();  // run_one_for stops the context whenever it runs out of work
      io.run_one_for(std::chrono::milliseconds(100));
    }
    return completed >= n;
  };
  const std::string hello = "hello";
  ASSERT_EQ(client->write_some(net::buffer(hello)).status, IoStatus::ok);
  wait();
  ASSERT_TRUE(run_until(1));
  wait();
  ASSERT_TRUE(run_until(2));  // by now the reactor has reported the record's edge
  wait();
  auto guard = net::make_work_guard(io);
  io.restart();
  for (int i = 0; i < 20; ++i) io.poll();
  EXPECT_EQ(completed, 2) << "the wait re-armed the socket (one epoll_ctl per wait)";
  ASSERT_EQ(client->write_some(net::buffer(hello)).status, IoStatus::ok);
  EXPECT_TRUE(run_until(3));
  EXPECT_EQ(read_until_settled(*server).status, IoStatus::ok);
}

// SSL_get_error() blames the first error on the thread's queue: one left there by other code
// on this worker (a failed certificate parse, say) must not turn an empty socket into a failure.
TEST_F(TlsPair, AnErrorLeftOnTheThreadsQueueIsNotBlamedOnTheNextRead) {
  ASSERT_TRUE(handshake());
  ERR_raise(ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE);
  ASSERT_NE(ERR_peek_error(), 0u);
  char buf[64];
  EXPECT_EQ(server->read_some(net::buffer(buf)).status, IoStatus::want_read);
  const std::string hello = "hello";
  EXPECT_EQ(client->write_some(net::buffer(hello)).status, IoStatus::ok);
  EXPECT_EQ(read_until_settled(*server).status, IoStatus::ok);
}

TEST_F(TlsPair, AFullSocketWantsWrite) {
  ASSERT_TRUE(handshake());
  const std::string chunk(16384, 'x');
  proxy::IoResult r{IoStatus::ok, 0};
  std::size_t total = 0;
  for (int i = 0; i < 10000 && r.status == IoStatus::ok; ++i) {  // nobody reads the server side
    r = client->write_some(net::buffer(chunk));
    total += r.bytes;
  }
  EXPECT_EQ(r.status, IoStatus::want_write) << "after " << total << " bytes";
}

TEST_F(TlsPair, CloseNotifyIsAnOrderlyEnd) {
  ASSERT_TRUE(handshake());
  ASSERT_EQ(server->shutdown_send().status, IoStatus::ok);
  const auto r = read_until_settled(*client);
  EXPECT_EQ(r.status, IoStatus::eof);
  EXPECT_FALSE(client->transport_closed()) << "close_notify is TLS's own end, not the transport's";
  EXPECT_FALSE(client->truncated());
}

// A FIN without close_notify after the handshake: passed on as an end (many clients skip
// close_notify), but marked truncated, since whoever sent the FIN may have cut the data short.
TEST_F(TlsPair, AFinWithoutCloseNotifyIsAnEndMarkedTruncated) {
  ASSERT_TRUE(handshake());
  server->socket().shutdown(tcp::socket::shutdown_send);  // FIN, no close_notify
  const auto r = read_until_settled(*client);
  EXPECT_EQ(r.status, IoStatus::eof);
  EXPECT_TRUE(client->transport_closed());
  EXPECT_TRUE(client->truncated());
}

TEST_F(TlsPair, AFinWithoutCloseNotifyFailsTheReadWhenAskedTo) {
  client->fail_on_truncation();  // the outbound: its app gets a reset, not a clean end
  ASSERT_TRUE(handshake());
  server->socket().shutdown(tcp::socket::shutdown_send);  // FIN, no close_notify
  const auto r = read_until_settled(*client);
  EXPECT_EQ(r.status, IoStatus::error);
  EXPECT_TRUE(client->truncated());
}

TEST_F(TlsPair, AbortResetsThePeerWithoutCloseNotify) {
  ASSERT_TRUE(handshake());
  server->abort();
  const auto r = read_until_settled(*client);
  EXPECT_EQ(r.status, IoStatus::error) << "a clean end (close_notify) or a FIN instead of a reset";
  EXPECT_EQ(client->error(), net::error::connection_reset) << client->error().message();
}

TEST_F(TlsPair, AResetIsAnErrorWithTheErrno) {
  ASSERT_TRUE(handshake());
  const linger abort_on_close{1, 0};
  ::setsockopt(server->socket().native_handle(), SOL_SOCKET, SO_LINGER, &abort_on_close,
               sizeof abort_on_close);
  server->close();  // RST
  const auto r = read_until_settled(*client);
  EXPECT_EQ(r.status, IoStatus::error);
  EXPECT_EQ(client->error(), net::error::connection_reset) << client->error().message();
  EXPECT_TRUE(client->transport_closed());
}

TEST_F(TlsPair, ATransportEndDuringTheHandshakeIsAnError) {
  ASSERT_EQ(client->handshake().status, IoStatus::want_read);  // ClientHello sent
  server->socket().shutdown(tcp::socket::shutdown_send);       // FIN, no TLS at all
  const auto r = [&] {
    proxy::IoResult last{IoStatus::want_read, 0};
    for (int i = 0; i < 2000 && last.status == IoStatus::want_read; ++i, ::usleep(1000))
      last = client->handshake();
    return last;
  }();
  EXPECT_EQ(r.status, IoStatus::error);
  EXPECT_TRUE(client->transport_closed());
}

TEST_F(TlsPair, PlaintextWhereTlsWasExpectedIsAProtocolError) {
  const std::string http = "HTTP/1.1 400 Bad Request\r\n\r\n";
  ASSERT_EQ(::send(server->socket().native_handle(), http.data(), http.size(), 0),
            ssize_t(http.size()));
  proxy::IoResult r{IoStatus::want_read, 0};
  for (int i = 0; i < 2000 && r.status == IoStatus::want_read; ++i, ::usleep(1000))
    r = client->handshake();
  EXPECT_EQ(r.status, IoStatus::error);
  EXPECT_EQ(ERR_GET_LIB(client->openssl_error()), ERR_LIB_SSL);
  EXPECT_EQ(ERR_GET_REASON(client->openssl_error()), SSL_R_WRONG_VERSION_NUMBER);
  EXPECT_FALSE(client->transport_closed());
}

TEST_F(TlsPair, EveryCallAfterCloseFailsWithoutTouchingTheDescriptor) {
  ASSERT_TRUE(handshake());
  client->close();
  char buf[8];
  EXPECT_EQ(client->read_some(net::buffer(buf)).status, IoStatus::error);
  EXPECT_EQ(client->write_some(net::buffer(buf)).status, IoStatus::error);
  EXPECT_EQ(client->shutdown_send().status, IoStatus::error);
  EXPECT_EQ(client->handshake().status, IoStatus::error);
  client->close();  // idempotent
}

// The error queue is per thread and shared by every connection of a worker: a failure must not
// leave entries another connection would then be blamed for.
TEST_F(TlsPair, AFailureLeavesNothingInTheThreadsErrorQueue) {
  const std::string http = "HTTP/1.1 400 Bad Request\r\n\r\n";
  ::send(server->socket().native_handle(), http.data(), http.size(), 0);
  proxy::IoResult r{IoStatus::want_read, 0};
  for (int i = 0; i < 2000 && r.status == IoStatus::want_read; ++i, ::usleep(1000))
    r = client->handshake();
  ASSERT_EQ(r.status, IoStatus::error);
  EXPECT_EQ(ERR_peek_error(), 0ul);
}

}  // namespace
}  // namespace mtls::test
