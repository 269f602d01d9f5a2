#pragma once
// The last refused handshakes of one worker on one listener, for GET /status.
// The worker writes it only when it refuses a peer (an accepted connection never touches it); the
// control thread copies it out at read time and merges every worker's ring. A small mutex guards
// it: the only contention is a reader copying at most kCapacity entries, and fixed-size fields
// mean a refusal allocates nothing while holding it. So a flood of refusals costs each one an
// uncontended lock and a few hundred bytes of copying, and readers never see a torn entry.

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mtls::metrics {

struct Refusal {
  std::int64_t unix_ms = 0;
  std::string remote;  // "address:port" of the other side, "-" when unknown
  std::string reason;  // a handshake reason label value (metrics/README.md)
  std::string peer;    // the identity it presented, "-" when none
};

class RefusalRing {
 public:
  static constexpr std::size_t kCapacity = 20;
  // Longer values are cut: the ring is for a person to read, the log line has the whole text.
  static constexpr std::size_t kRemoteMax = 47;
  static constexpr std::size_t kReasonMax = 31;
  static constexpr std::size_t kPeerMax = 191;

  void record(std::int64_t unix_ms, std::string_view remote, std::string_view reason,
              std::string_view peer) noexcept;  // worker thread
  std::vector<Refusal> snapshot() const;        // any thread; oldest first

 private:
  template <std::size_t N>
  struct Text {
    void set(std::string_view s) noexcept;
    std::string get() const { return std::string(data.data(), size); }
    std::array<char, N> data{};
    std::uint8_t size = 0;
  };
  struct Entry {
    std::int64_t unix_ms = 0;
    Text<kRemoteMax> remote;
    Text<kReasonMax> reason;
    Text<kPeerMax> peer;
  };

  mutable std::mutex mutex_;
  std::array<Entry, kCapacity> entries_;
  std::uint64_t written_ = 0;  // total ever recorded; the next slot is written_ % kCapacity
};

}  // namespace mtls::metrics
