#pragma once
// A worker's pool of 16 KiB relay buffers (one TLS record). A pump holds a buffer only while data
// is in flight, so idle connections cost none; the pool keeps a few free ones so busy ones do not
// go back to malloc for every read. Single-threaded: one pool per worker.

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

namespace mtls::proxy {

inline constexpr std::size_t kRelayBufferSize = 16 * 1024;

using RelayBuffer = std::unique_ptr<std::array<char, kRelayBufferSize>>;

class BufferPool {
 public:
  explicit BufferPool(std::size_t max_free = 256) : max_free_(max_free) {}

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
