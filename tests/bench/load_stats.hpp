#pragma once
// What one mtls-load run measured, and its two renderings: a human table and JSON.
// Each load thread fills its own LoadStats (no sharing); main merges them after the threads end.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "tests/bench/load_options.hpp"

namespace mtls::bench {

// Every sample kept (µs, 4 bytes each): exact percentiles, and 1M samples cost only 4 MB.
class Samples {
 public:
  void add(std::chrono::steady_clock::duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    us_.push_back(us < 0 ? 0u : us > 0xffffffffLL ? 0xffffffffu : std::uint32_t(us));
  }
  void merge(const Samples& other) { us_.insert(us_.end(), other.us_.begin(), other.us_.end()); }

  struct Summary {
    std::size_t count = 0;
    double mean = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;  // µs
  };
  Summary summarize() const;

 private:
  std::vector<std::uint32_t> us_;
};

struct LoadStats {
  std::uint64_t connections = 0;  // TCP connects that succeeded
  std::uint64_t handshakes = 0;   // TLS handshakes completed
  std::uint64_t resumed = 0;      // ... of which resumed a session
  std::uint64_t requests = 0;     // complete responses with status < 400
  std::uint64_t bad_status = 0;   // complete responses with status >= 400
  std::uint64_t body_bytes = 0;   // response bodies of counted responses
  std::uint64_t bytes_in = 0;     // every response byte read, complete responses or not (MB/s)
  std::map<std::string, std::uint64_t> errors;  // kind -> count
  Samples handshake_us;                         // TLS handshake only (connected -> handshake done)
  Samples request_us;                           // request written -> response complete
  Samples connection_us;  // handshake mode: connect start -> response complete

  void error(const std::string& kind) { ++errors[kind]; }
  void merge(const LoadStats& other);
};

struct LoadReport {
  const LoadOptions* options = nullptr;
  LoadStats stats;
  double elapsed_s = 0;
  double cpu_user_s = 0, cpu_sys_s = 0;  // of mtls-load itself: is the generator the bottleneck?
  std::string tls;  // e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384", from one connection
};

void print_table(std::FILE* out, const LoadReport& r);
void write_json(const std::string& path, const LoadReport& r);  // throws std::runtime_error

}  // namespace mtls::bench
