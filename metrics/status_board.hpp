#pragma once
// GET /status: one JSON document of what the status page shows (metrics/README.md "GET /status").
// Keeps the 15-minute history (StatusHistory) and builds the document from the counters, the
// refusal rings and the facts the sidecar passes in (identity, readiness).
//
// Thread-safety: control thread only (tick() from its timer, json() from the admin server, which
// runs there too). Reads the data-path counters like a scrape does.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "metrics/metrics.hpp"
#include "metrics/status_history.hpp"

namespace mtls::metrics {

// What the configuration says of a listener (index order of Metrics::listeners()).
struct ListenerInfo {
  std::string listen;   // "127.0.0.1:15001"
  std::string forward;  // "backend.local:8443"
  std::string protocol;
};

struct CrlFact {
  std::string issuer;
  std::int64_t next_update = 0;  // unix seconds; 0 = the CRL has none
};

// What only the sidecar knows, gathered at each request.
struct StatusFacts {
  std::string certs_json;  // the GET /certs document: identity, trust, last_reload
  std::vector<CrlFact> crls;
  bool ready = false;
  std::string not_ready_reason;
  bool draining = false;
};

class StatusBoard {
 public:
  static constexpr std::size_t kRefusals = 20;
  static constexpr std::size_t kPeers = 10;

  StatusBoard(const Metrics& metrics, std::vector<ListenerInfo> info,
              std::chrono::milliseconds bucket, std::int64_t now_ms);

  std::chrono::milliseconds bucket() const { return bucket_; }
  void tick(std::int64_t now_ms);  // every bucket(), from the control thread's timer
  std::string json(const StatusFacts& facts, std::int64_t now_ms) const;

  static std::int64_t now_ms();  // system clock, unix milliseconds

 private:
  const Metrics& metrics_;
  std::vector<ListenerInfo> info_;
  std::chrono::milliseconds bucket_;
  StatusHistory history_;
};

}  // namespace mtls::metrics
