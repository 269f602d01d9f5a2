#pragma once
// One direction of a relay: read from `From`, write all of it to `To`, repeat (DESIGN.md §3).
// At most one buffer, taken from the worker's pool only once `From` is readable, so a slow reader
// on `To` stops reading from `From` (backpressure) and an idle pump holds nothing. On an orderly
// end of `From` it half-closes `To` (FIN or close_notify) and reports done; the other pump keeps
// flowing. Single-threaded (the worker's); each pending wait holds `owner` (the session) alive.

#include <boost/asio/post.hpp>
#include <functional>
#include <memory>
#include <string>

#include "proxy/buffer_pool.hpp"
#include "proxy/byte_stream.hpp"

namespace mtls::proxy {

enum class PumpEnd { running, finished, failed };

template <ByteStream From, ByteStream To>
class Pump {
 public:
  // `on_bytes(n)` after each read (counting and idle tracking); `on_end()` once it stops.
  Pump(From& from, To& to, BufferPool& pool) : from_(from), to_(to), pool_(pool) {}

  template <class OnBytes, class OnEnd>
  void start(const std::shared_ptr<void>& owner, OnBytes on_bytes, OnEnd on_end) {
    owner_ = owner;
    on_bytes_ = std::move(on_bytes);
    on_end_ = std::move(on_end);
    run();
  }

  PumpEnd state() const { return state_; }
  const std::string& failure() const { return failure_; }  // why it failed, for the log

 private:
  // Bounds the work done for one connection before yielding to the others on this worker: 16
  // reads or 256 KiB, whichever comes first (a TLS read returns one record, at most 16 KiB; a
  // plaintext read fills up to a whole buffer).
  static constexpr int kMaxRoundsPerTurn = 16;
  static constexpr std::size_t kMaxBytesPerTurn = 256 * 1024;
  static constexpr std::size_t kBurstRead = 16 * 1024;

  void run() {
    std::size_t moved = 0;
    for (int round = 0; round < kMaxRoundsPerTurn && moved < kMaxBytesPerTurn; ++round) {
      if (begin_ == end_ && !read()) return;
      moved += end_ - begin_;
      if (!write()) return;
    }
    net::post(to_.socket().get_executor(), [this, keep = owner_.lock()] {
      if (state_ == PumpEnd::running) run();
    });
  }

  // true: data to write; false: waiting or stopped.
  bool read() {
    if (!buffer_) buffer_ = pool_.acquire();
    const IoResult r = from_.read_some(net::buffer(*buffer_));
    switch (r.status) {
      case IoStatus::ok:
        begin_ = 0;
        end_ = r.bytes;
        // 16 KiB or more: a whole TLS record (all one TLS read returns) or a large plaintext
        // read; in bulk more is usually there, so read again before waiting.
        last_read_filled_buffer_ = r.bytes >= kBurstRead;
        on_bytes_(r.bytes);
        return true;
      case IoStatus::want_read:  // the socket said EAGAIN: drained
        pool_.release(buffer_);  // idle: give the buffer back while waiting
        wait_for_new_input();
        return false;
      case IoStatus::want_write:
        pool_.release(buffer_);
        wait(from_, r.status);
        return false;
      case IoStatus::eof:
        pool_.release(buffer_);
        shutdown_to();
        return false;
      case IoStatus::error:
        failure_ = "reading: " + from_.error().message();
        return stop(PumpEnd::failed);
    }
    return false;
  }

  bool write() {
    while (begin_ < end_) {
      const IoResult r = to_.write_some(net::buffer(buffer_->data() + begin_, end_ - begin_));
      if (r.status == IoStatus::ok) {
        begin_ += r.bytes;
      } else if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
        wait(to_, r.status);
        return false;
      } else {
        failure_ = "writing: " + to_.error().message();
        return stop(PumpEnd::failed);
      }
    }
    begin_ = end_ = 0;
    // Read again at once after a burst-sized read (bulk: more is usually there, and the read saves
    // an epoll round trip) or while TLS read-ahead holds input a socket wait would not see. After a
    // short read the socket is almost always drained (request/response): a read now would only
    // return EAGAIN, so wait instead (-2 syscalls per keep-alive exchange per sidecar,
    // tests/bench/README.md). The short read drained the socket, so the wait needs no re-arm
    // either (proxy/edge_wait.hpp); data that arrived meanwhile raised an edge, which completes
    // the wait at once.
    if (last_read_filled_buffer_ || from_.has_buffered_input()) return true;
    pool_.release(buffer_);
    wait_for_new_input();
    return false;
  }

  // After a read that drained `from_` (EAGAIN, or fewer bytes than asked and nothing buffered).
  void wait_for_new_input() {
    from_.async_wait_new_input([this, keep = owner_.lock()](error_code ec) { on_wait(ec); });
  }

  void shutdown_to() {
    const IoResult r = to_.shutdown_send();
    if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
      shutting_down_ = true;
      return wait(to_, r.status);
    }
    stop(r.status == IoStatus::ok ? PumpEnd::finished : PumpEnd::failed);
  }

  template <class S>
  void wait(S& stream, IoStatus want) {
    stream.async_wait(want, [this, keep = owner_.lock()](error_code ec) { on_wait(ec); });
  }

  void on_wait(error_code ec) {
    if (state_ != PumpEnd::running) return;
    if (ec) {
      failure_ = "waiting: " + ec.message();
      return void(stop(PumpEnd::failed));
    }
    if (shutting_down_) return shutdown_to();
    run();
  }

  bool stop(PumpEnd end) {
    if (state_ != PumpEnd::running) return false;
    state_ = end;
    pool_.release(buffer_);
    on_end_();
    return false;
  }

  From& from_;
  To& to_;
  BufferPool& pool_;
  RelayBuffer buffer_;
  std::size_t begin_ = 0, end_ = 0;
  bool last_read_filled_buffer_ = false;
  bool shutting_down_ = false;
  PumpEnd state_ = PumpEnd::running;
  std::string failure_;
  std::weak_ptr<void> owner_;  // the session; waits hold it alive, the pump does not
  std::function<void(std::size_t)> on_bytes_;
  std::function<void()> on_end_;
};

}  // namespace mtls::proxy
