// The data path without sockets: Pump and Relay against ScriptedStream (tests/support), which
// answers every read, write and shutdown as the test scripts it and lets the test decide when a
// wait completes.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "proxy/pump.hpp"
#include "proxy/relay.hpp"
#include "tests/support/scripted_stream.hpp"

namespace mtls::test {
namespace {

using proxy::BufferPool;
using proxy::kRelayBufferSize;
using proxy::Pump;
using proxy::PumpEnd;
using proxy::Relay;

struct PumpTest : ::testing::Test {
  net::io_context io;
  ScriptedStream from{io}, to{io};
  BufferPool pool;
  Pump<ScriptedStream, ScriptedStream> pump{from, to, pool};
  std::shared_ptr<int> owner = std::make_shared<int>(0);
  std::size_t counted = 0;
  int ends = 0;

  void start() {
    pump.start(
        owner, [this](std::size_t n) { counted += n; }, [this] { ++ends; });
  }
};

TEST_F(PumpTest, CopiesEveryByteThroughPartialWrites) {
  const std::string text = "hello, partial world";
  from.add_data(text);
  for (int i = 0; i < 10; ++i) to.add_partial_write(3);
  start();
  EXPECT_EQ(to.written(), text);
  EXPECT_EQ(counted, text.size());
  EXPECT_EQ(pump.state(), PumpEnd::running);
  EXPECT_EQ(ends, 0);
}

TEST_F(PumpTest, ShortReadWaitsForReadableWithoutASpeculativeRead) {
  from.add_data("request");  // far less than a buffer: the socket is almost surely drained
  start();
  EXPECT_EQ(from.reads(), 1) << "a read after a short read would only return EAGAIN";
  EXPECT_EQ(from.pending_wait(), IoStatus::want_read);
  EXPECT_EQ(from.new_input_waits(), 1) << "a short read drained the socket: no re-arm needed";
  EXPECT_EQ(pool.free_count(), 1u) << "the buffer goes back to the pool before waiting";
}

TEST_F(PumpTest, TlsReadAheadIsReadBeforeWaiting) {
  from.add_data("record one");
  from.set_buffered_input(true);  // a socket wait would not see input OpenSSL already holds
  start();
  EXPECT_GE(from.reads(), 2);
  EXPECT_EQ(from.pending_wait(), IoStatus::want_read);
}

TEST_F(PumpTest, WantReadReturnsTheBufferThenResumesWhenReadable) {
  from.add_read(IoStatus::want_read);
  start();
  ASSERT_EQ(from.pending_wait(), IoStatus::want_read);
  EXPECT_EQ(from.new_input_waits(), 1) << "EAGAIN drained the socket: no re-arm needed";
  EXPECT_EQ(pool.free_count(), 1u);
  from.add_data("later");
  from.complete_wait();
  EXPECT_EQ(to.written(), "later");
}

TEST_F(PumpTest, WantWriteWaitsOnTheWriterAndKeepsTheUnwrittenRest) {
  from.add_data("0123456789");
  to.add_partial_write(4);
  to.add_write(IoStatus::want_write);
  start();
  EXPECT_EQ(to.written(), "0123");
  ASSERT_EQ(to.pending_wait(), IoStatus::want_write);
  EXPECT_FALSE(from.pending_wait())
      << "backpressure: nothing more is read while the writer is full";
  EXPECT_EQ(pool.free_count(), 0u) << "the unwritten bytes stay in the buffer";
  to.complete_wait();
  EXPECT_EQ(to.written(), "0123456789");
}

// TLS renegotiation-style answers: a read may want a write and a write may want a read.
TEST_F(PumpTest, CrossedWantsWaitForWhatTheStreamAsked) {
  from.add_read(IoStatus::want_write);
  start();
  EXPECT_EQ(from.pending_wait(), IoStatus::want_write);
  from.add_data("x");
  to.add_write(IoStatus::want_read);
  from.complete_wait();
  EXPECT_EQ(to.pending_wait(), IoStatus::want_read);
  to.complete_wait();
  EXPECT_EQ(to.written(), "x");
}

TEST_F(PumpTest, EndOfInputHalfClosesTheOtherSideAndReportsOnce) {
  from.add_data("last words");
  from.set_buffered_input(true);
  from.add_read(IoStatus::eof);
  start();
  EXPECT_EQ(to.written(), "last words");
  EXPECT_EQ(to.shutdowns(), 1);
  EXPECT_FALSE(to.closed()) << "a half-close, not a close: the other direction keeps flowing";
  EXPECT_EQ(pump.state(), PumpEnd::finished);
  EXPECT_EQ(ends, 1);
  EXPECT_EQ(pool.free_count(), 1u);
}

TEST_F(PumpTest, HalfCloseThatMustWaitIsRetriedAfterTheWait) {
  from.add_read(IoStatus::eof);
  to.set_shutdown_answers({IoStatus::want_write});
  start();
  ASSERT_EQ(to.pending_wait(), IoStatus::want_write);
  EXPECT_EQ(pump.state(), PumpEnd::running);
  to.complete_wait();
  EXPECT_EQ(to.shutdowns(), 2);
  EXPECT_EQ(pump.state(), PumpEnd::finished);
  EXPECT_EQ(ends, 1);
}

TEST_F(PumpTest, ReadErrorFailsWithTheStreamsReason) {
  from.set_error(net::error::connection_reset);
  from.add_read(IoStatus::error);
  start();
  EXPECT_EQ(pump.state(), PumpEnd::failed);
  EXPECT_NE(pump.failure().find("reading: "), std::string::npos) << pump.failure();
  EXPECT_NE(pump.failure().find(error_code(net::error::connection_reset).message()),
            std::string::npos);
  EXPECT_EQ(ends, 1);
  EXPECT_EQ(to.shutdowns(), 0) << "a reset is not passed on as an orderly end";
}

TEST_F(PumpTest, WriteErrorFails) {
  from.add_data("x");
  to.set_error(net::error::broken_pipe);
  to.add_write(IoStatus::error);
  start();
  EXPECT_EQ(pump.state(), PumpEnd::failed);
  EXPECT_NE(pump.failure().find("writing: "), std::string::npos) << pump.failure();
  EXPECT_EQ(ends, 1);
}

TEST_F(PumpTest, FailedWaitStopsThePump) {
  from.add_read(IoStatus::want_read);
  start();
  from.complete_wait(net::error::operation_aborted);
  EXPECT_EQ(pump.state(), PumpEnd::failed);
  EXPECT_NE(pump.failure().find("waiting: "), std::string::npos);
  EXPECT_EQ(ends, 1);
}

// One bulk connection must not starve the worker's others: after 256 KiB (here 4 full buffers)
// the pump yields (posts itself to the executor) instead of looping on.
TEST_F(PumpTest, YieldsToOtherConnectionsAfter256KiB) {
  const std::string chunk(kRelayBufferSize, 'b');
  const std::size_t per_turn = 256 * 1024 / kRelayBufferSize;
  ASSERT_GE(per_turn, 1u);
  for (int i = 0; i < 20; ++i) from.add_data(chunk);
  start();
  EXPECT_EQ(from.reads(), static_cast<int>(per_turn));
  EXPECT_EQ(to.written().size(), per_turn * kRelayBufferSize);
  EXPECT_FALSE(from.pending_wait()) << "a yield is a post, not a wait";
  io.run();
  EXPECT_EQ(to.written().size(), 20 * kRelayBufferSize);
  EXPECT_EQ(from.pending_wait(), IoStatus::want_read);
}

// TLS reads return one record (16 KiB) at a time: then the bound is 16 reads per turn.
TEST_F(PumpTest, YieldsAfterSixteenReadsOfOneRecord) {
  const std::string record(16 * 1024, 'r');
  for (int i = 0; i < 20; ++i) from.add_data(record);
  start();
  EXPECT_EQ(from.reads(), 16);
  EXPECT_FALSE(from.pending_wait()) << "a yield is a post, not a wait";
  io.run();
  EXPECT_EQ(to.written().size(), 20 * record.size());
}

struct RelayTest : ::testing::Test {
  net::io_context io;
  ScriptedStream down{io}, up{io};
  BufferPool pool;
  Relay<ScriptedStream, ScriptedStream> relay{down, up, pool};
  std::shared_ptr<int> owner = std::make_shared<int>(0);
  std::vector<std::string> ends;
  std::size_t from_down = 0, from_up = 0;

  void start() {
    relay.start(
        owner,
        [this](metrics::Side side, std::size_t n) {
          (side == metrics::Side::downstream ? from_down : from_up) += n;
        },
        [this](std::string why) { ends.push_back(std::move(why)); });
  }
};

TEST_F(RelayTest, CarriesBothDirectionsAndCountsEachSide) {
  down.add_data("request");
  up.add_data("a longer response");
  start();
  EXPECT_EQ(up.written(), "request");
  EXPECT_EQ(down.written(), "a longer response");
  EXPECT_EQ(from_down, 7u);
  EXPECT_EQ(from_up, 17u);
  EXPECT_TRUE(ends.empty());
}

TEST_F(RelayTest, OneHalfCloseKeepsTheOtherDirectionOpen) {
  down.add_read(IoStatus::eof);
  start();
  EXPECT_EQ(up.shutdowns(), 1);
  EXPECT_TRUE(ends.empty()) << "the upstream may still answer";
  up.add_data("answer after the client's FIN");
  up.add_read(IoStatus::eof);
  up.complete_wait();  // readable: the answer (a short read, so the pump waits again)
  EXPECT_EQ(down.written(), "answer after the client's FIN");
  EXPECT_TRUE(ends.empty());
  up.complete_wait();  // readable: the upstream's FIN
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0], "") << "both sides ended in order";
}

TEST_F(RelayTest, AnErrorOnOneSideEndsTheRelayAtOnceAndOnlyOnce) {
  up.set_error(net::error::connection_reset);
  up.add_read(IoStatus::error);
  start();
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].rfind("upstream->downstream reading: ", 0), 0u) << ends[0];
  down.add_read(IoStatus::eof);  // the other pump ending later reports nothing more
  down.complete_wait();
  EXPECT_EQ(ends.size(), 1u);
}

}  // namespace
}  // namespace mtls::test
