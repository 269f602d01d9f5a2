#pragma once
// ScriptedStream: a ByteStream whose every answer is scripted by the test, for unit tests of the
// data path (Pump, Relay) without sockets. Reads return the queued steps in order (then
// want_read); writes accept at most the next scripted limit (then everything); each async_wait
// is recorded and completes only when the test calls complete_wait(), so the test decides when
// readiness "arrives" and can look at the state in between.

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "proxy/byte_stream.hpp"

namespace mtls::test {

namespace net = proxy::net;
using proxy::error_code;
using proxy::IoResult;
using proxy::IoStatus;

class ScriptedStream {
 public:
  // A read step: data (status ok), or a bare status (want_read, want_write, eof, error).
  struct ReadStep {
    IoStatus status = IoStatus::ok;
    std::string data;
  };
  // A write step: accept at most `max_bytes` (status ok), or answer `status` without writing.
  struct WriteStep {
    IoStatus status = IoStatus::ok;
    std::size_t max_bytes = 0;
  };

  explicit ScriptedStream(net::io_context& io) : socket_(io) {}

  void add_data(std::string data) { reads_.push_back({IoStatus::ok, std::move(data)}); }
  void add_read(IoStatus status) { reads_.push_back({status, {}}); }
  void add_partial_write(std::size_t max_bytes) { writes_.push_back({IoStatus::ok, max_bytes}); }
  void add_write(IoStatus status) { writes_.push_back({status, 0}); }
  void set_error(error_code ec) { error_ = ec; }
  void set_buffered_input(bool buffered) { buffered_input_ = buffered; }
  void set_shutdown_answers(std::vector<IoStatus> answers) {
    shutdown_answers_ = std::move(answers);
  }

  // What the code under test did.
  const std::string& written() const { return written_; }
  int reads() const { return reads_done_; }
  int shutdowns() const { return shutdowns_; }
  bool closed() const { return closed_; }
  // The interest of the pending wait, if one is pending.
  std::optional<IoStatus> pending_wait() const {
    return wait_ ? std::optional<IoStatus>(wait_want_) : std::nullopt;
  }
  // Completes the pending wait (readiness, or an error such as operation_aborted).
  void complete_wait(error_code ec = {}) {
    auto handler = std::move(wait_);
    wait_ = nullptr;
    handler(ec);
  }

  // ByteStream.
  IoResult read_some(net::mutable_buffer b) {
    ++reads_done_;
    if (closed_) return {IoStatus::error, 0};
    if (reads_.empty()) return {IoStatus::want_read, 0};
    ReadStep& step = reads_.front();
    if (step.status != IoStatus::ok) {
      const IoStatus s = step.status;
      reads_.pop_front();
      return {s, 0};
    }
    const std::size_t n = std::min(b.size(), step.data.size());
    std::copy_n(step.data.data(), n, static_cast<char*>(b.data()));
    step.data.erase(0, n);
    if (step.data.empty()) reads_.pop_front();
    return {IoStatus::ok, n};
  }
  IoResult write_some(net::const_buffer b) {
    if (closed_) return {IoStatus::error, 0};
    std::size_t n = b.size();
    if (!writes_.empty()) {
      const WriteStep step = writes_.front();
      writes_.pop_front();
      if (step.status != IoStatus::ok) return {step.status, 0};
      n = std::min(n, step.max_bytes);
    }
    written_.append(static_cast<const char*>(b.data()), n);
    return {IoStatus::ok, n};
  }
  IoResult shutdown_send() {
    ++shutdowns_;
    if (closed_) return {IoStatus::error, 0};
    if (shutdowns_ <= int(shutdown_answers_.size())) return {shutdown_answers_[shutdowns_ - 1], 0};
    return {IoStatus::ok, 0};
  }
  void async_wait(IoStatus want, std::function<void(error_code)> handler) {
    wait_want_ = want;
    wait_ = std::move(handler);
  }
  // Recorded like a read wait; new_input_waits() tells the test which kind the caller chose.
  void async_wait_new_input(std::function<void(error_code)> handler) {
    ++new_input_waits_;
    async_wait(IoStatus::want_read, std::move(handler));
  }
  int new_input_waits() const { return new_input_waits_; }
  bool has_buffered_input() const { return buffered_input_; }
  void close() { closed_ = true; }
  error_code error() const { return error_; }
  proxy::tcp::socket& socket() { return socket_; }  // the pump posts its yield to this executor

 private:
  proxy::tcp::socket socket_;
  std::deque<ReadStep> reads_;
  std::deque<WriteStep> writes_;
  std::vector<IoStatus> shutdown_answers_;
  std::string written_;
  int reads_done_ = 0;
  int shutdowns_ = 0;
  bool closed_ = false;
  bool buffered_input_ = false;
  int new_input_waits_ = 0;
  error_code error_;
  IoStatus wait_want_ = IoStatus::want_read;
  std::function<void(error_code)> wait_;
};

static_assert(proxy::ByteStream<ScriptedStream>);

}  // namespace mtls::test
