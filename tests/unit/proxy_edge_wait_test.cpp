// Waiting for new input after a drained read (PlainStream::async_wait_new_input, EdgeReadWait):
// input that arrived before the wait completes it, new input too, and it does not re-arm the
// socket (the epoll_ctl that Asio's async_wait makes on every call), which is its whole point.
#include <gtest/gtest.h>

#include <boost/asio/write.hpp>
#include <chrono>
#include <string>

#include "proxy/plain_stream.hpp"

namespace mtls::test {
namespace {

namespace net = proxy::net;
using proxy::IoStatus;
using proxy::PlainStream;
using proxy::tcp;

struct EdgeWait : ::testing::Test {
  net::io_context io{1};
  tcp::socket peer{io};
  std::unique_ptr<PlainStream> stream;
  int completed = 0;

  EdgeWait() {
    tcp::acceptor acceptor(io, {net::ip::address_v4::loopback(), 0});
    tcp::socket ours(io);
    peer.connect(acceptor.local_endpoint());
    acceptor.accept(ours);
    stream = std::make_unique<PlainStream>(std::move(ours));
  }

  void send(const std::string& s) { net::write(peer, net::buffer(s)); }
  void wait() {
    stream->async_wait_new_input([this](proxy::error_code ec) { completed += ec ? 0 : 1; });
  }
  // Runs handlers until `n` waits completed, or gives up after 5 s.
  bool run_until(int n) {
    for (int i = 0; i < 50 && completed < n; ++i) {
      io.restart();  // run_one_for stops the context whenever it runs out of work
      io.run_one_for(std::chrono::milliseconds(100));
    }
    return completed >= n;
  }
};

TEST_F(EdgeWait, InputThatArrivedBeforeTheWaitCompletesIt) {
  char buf[64];
  send("x");
  wait();
  ASSERT_TRUE(run_until(1));
  ASSERT_EQ(stream->read_some(net::buffer(buf)).status, IoStatus::ok);
  ASSERT_EQ(stream->read_some(net::buffer(buf)).status, IoStatus::want_read);
  // Input arrives while nobody waits: the reactor sees its edge with no operation queued...
  send("y");
  auto guard = net::make_work_guard(io);
  io.restart();
  for (int i = 0; i < 20; ++i) io.poll();
  // ...and the next wait must not miss it (a wait may also complete spuriously: read and retry).
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int before = completed;
    wait();
    ASSERT_TRUE(run_until(before + 1)) << "input that came between the read and the wait was lost";
    const auto r = stream->read_some(net::buffer(buf));
    if (r.status == IoStatus::ok) return SUCCEED();
    ASSERT_EQ(r.status, IoStatus::want_read);
  }
  ADD_FAILURE() << "\"y\" never became readable";
}

// Data and the peer's FIN in one edge: the short read drains the data, but the end is still to be
// read and no later edge will announce it. The wait must complete so the reader sees the end.
TEST_F(EdgeWait, AnEndThatCameWithTheLastDataCompletesTheWait) {
  char buf[64];
  send("a");
  wait();
  ASSERT_TRUE(run_until(1));
  ASSERT_EQ(stream->read_some(net::buffer(buf)).status, IoStatus::ok);
  ASSERT_EQ(stream->read_some(net::buffer(buf)).status, IoStatus::want_read);
  wait();  // completes with the edge of "a" (now or already reported): nothing new to read
  ASSERT_TRUE(run_until(2));
  ASSERT_EQ(stream->read_some(net::buffer(buf)).status, IoStatus::want_read);
  wait();  // pending on the next edge
  send("last");
  peer.shutdown(tcp::socket::shutdown_send);
  ASSERT_TRUE(run_until(3));
  ASSERT_EQ(stream->read_some(net::buffer(buf)).status, IoStatus::ok);  // "last", short
  wait();
  EXPECT_TRUE(run_until(4)) << "the FIN that came with the data was never reported";
  EXPECT_EQ(stream->read_some(net::buffer(buf)).status, IoStatus::eof);
}

TEST_F(EdgeWait, DoesNotReArmTheSocket) {
  send("x");
  wait();
  ASSERT_TRUE(run_until(1));
  wait();
  ASSERT_TRUE(run_until(2));  // by now the reactor has reported the edge of "x"
  // "x" is still unread. async_wait(wait_read) would re-arm the socket (epoll_ctl MOD), which
  // reports it again at once; a wait for new input needs new input.
  wait();
  auto guard = net::make_work_guard(io);
  io.restart();
  for (int i = 0; i < 20; ++i) io.poll();
  EXPECT_EQ(completed, 2) << "the wait re-armed the socket (one epoll_ctl per wait)";
  send("y");
  EXPECT_TRUE(run_until(3));
}

}  // namespace
}  // namespace mtls::test
