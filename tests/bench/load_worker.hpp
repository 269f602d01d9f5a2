#pragma once
// One mtls-load thread: its own io_context, connections, scratch buffer and statistics, so the
// threads share nothing but the read-only options and SSL_CTX (which OpenSSL allows).

#include <array>
#include <memory>
#include <vector>

#include "tests/bench/load_connection.hpp"

namespace mtls::bench {

class LoadWorker {
 public:
  LoadWorker(const LoadOptions& options, SSL_CTX* ctx, tcp::endpoint target, unsigned conns,
             unsigned first_id);
  ~LoadWorker();

  // Runs until `deadline`, then closes every connection; in-flight exchanges are not counted.
  void run(Clock::time_point deadline);

  const LoadOptions& options() const { return options_; }
  SSL_CTX* ssl_ctx() const { return ctx_; }
  const tcp::endpoint& target() const { return target_; }
  net::io_context& io() { return io_; }
  LoadStats& stats() { return stats_; }
  bool stopping() const { return stopping_; }
  unsigned total_conns() const { return options_.conns; }
  // One reusable read buffer per thread: responses are parsed as they arrive, never kept.
  std::array<char, 64 * 1024>& scratch() { return scratch_; }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384 X25519" of the first handshake, for the report.
  std::string& tls_seen() { return tls_seen_; }

 private:
  void schedule_watchdog();

  const LoadOptions& options_;
  SSL_CTX* ctx_;
  tcp::endpoint target_;
  net::io_context io_{1};  // one thread: Asio may skip its internal locking
  net::steady_timer deadline_timer_{io_};
  net::steady_timer watchdog_{io_};
  LoadStats stats_;
  std::string tls_seen_;
  bool stopping_ = false;
  std::array<char, 64 * 1024> scratch_;
  std::vector<std::unique_ptr<Connection>> conns_;  // after io_: closed before it is destroyed
};

}  // namespace mtls::bench
