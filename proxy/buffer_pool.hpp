#pragma once
// A worker's pool of 64 KiB relay buffers. A pump holds a buffer only while data is in flight, so
// idle connections cost none; the pool keeps a few free ones (4 MiB at most) so busy ones do not
// go back to malloc for every read. Single-threaded: one pool per worker.
// Why 64 KiB and not one TLS record (16 KiB): a bulk plaintext read then takes one recv() where
// it took four, and SSL_write (partial writes on) still makes one record per call; a TLS read
// returns at most one record whatever the buffer. Medians of interleaved bulk runs: -130 us of
// CPU per MB for the pair (tests/bench/findings.md, "bulk, round 3").

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

namespace mtls::proxy {

inline constexpr std::size_t kRelayBufferSize = 64 * 1024;

using RelayBuffer = std::unique_ptr<std::array<char, kRelayBufferSize>>;

class BufferPool {
 public:
  explicit BufferPool(std::size_t max_free = 64) : max_free_(max_free) {}

  RelayBuffer acquire() {
    if (free_.empty()) return std::make_unique<std::array<char, kRelayBufferSize>>();
    RelayBuffer b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void release(RelayBuffer& b) {
    if (!b) return;
    if (free_.size() < max_free_) free_.push_back(std::move(b));
    b.reset();
  }
  std::size_t free_count() const { return free_.size(); }  // buffers parked in the pool

 private:
  std::size_t max_free_;
  std::vector<RelayBuffer> free_;
};

}  // namespace mtls::proxy
