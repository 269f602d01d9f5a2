#pragma once
// Command line of mtls-load, the mTLS load generator of tests/bench: wrk cannot present
// client certificates, so handshake rate, handshake latency percentiles and resumption rate come
// from this tool. Plain values, parsed once in main; read-only afterwards (shared by threads).

#include <chrono>
#include <cstdint>
#include <string>

namespace mtls::bench {

enum class Mode {
  handshake,  // connect, handshake, one request/response, close; repeat
  keepalive,  // persistent connections, request/response loop
  bulk,       // persistent connections, large responses: MB/s
};

struct LoadOptions {
  std::string host;
  std::uint16_t port = 0;
  std::string cert, key, ca;  // client identity and the CA that must sign the server
  std::string sni;            // also the name the server certificate is checked against
  unsigned conns = 16;
  unsigned threads = 1;
  std::chrono::milliseconds duration{10000};
  std::chrono::milliseconds timeout{5000};  // per exchange; a stuck one is closed and counted
  Mode mode = Mode::handshake;
  bool resume = false;        // offer the connection's previous session (TLS 1.3 ticket)
  bool plain = false;         // no TLS: drive a sidecar's plaintext outbound listener
  bool netns_target = false;  // the target is in a network namespace made for the test
  double rate = 0;            // exchanges per second over all connections; 0 = closed loop
  std::string request;        // raw bytes (escapes decoded); default depends on the mode
  std::string json;           // write the report here as JSON too
  std::string label;          // free text copied into the report
};

const char* mode_name(Mode mode);

// Throws std::invalid_argument with a message naming the offending flag. "--help" is reported as
// an invalid_argument whose what() is the usage text, so main prints it and exits 0.
LoadOptions parse_options(int argc, char** argv);

extern const char* const kLoadUsage;

}  // namespace mtls::bench
