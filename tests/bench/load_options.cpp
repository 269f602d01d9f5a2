#include "tests/bench/load_options.hpp"

#include <arpa/inet.h>

#include <stdexcept>
#include <string_view>

namespace mtls::bench {

const char* const kLoadUsage = R"(mtls-load - mTLS load generator (loopback targets only)

usage: mtls-load --target HOST:PORT [--cert C --key K --ca CA] [--sni NAME] [--plain]
                 [--mode handshake|keepalive|bulk] [--conns 16] [--threads 1] [--duration 10s]
                 [--resume] [--rate R] [--request 'GET /small HTTP/1.1\r\nHost: x\r\n\r\n']
                 [--timeout 5s] [--json FILE] [--label TEXT] [--netns-target]

  handshake  each connection: connect, full mTLS handshake (resumed with --resume), one
             request/response, close; repeat. Reports handshakes/s, latency percentiles, resumption.
  keepalive  N persistent connections, HTTP/1.1 request/response loop: req/s and latency.
  bulk       N persistent connections reading large responses (default GET /big): MB/s.
  --rate R   pace exchanges to R per second over all connections (open schedule per connection);
             0 = as fast as the target answers.
  --plain    no TLS (a sidecar's plaintext outbound listener).
  The run stops by itself after --duration; only 127.0.0.0/8 and ::1 are accepted as targets
  unless --netns-target says the address is inside a network namespace made for the test.
)";

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::handshake:
      return "handshake";
    case Mode::keepalive:
      return "keepalive";
    case Mode::bulk:
      return "bulk";
  }
  return "?";
}

namespace {

std::chrono::milliseconds parse_duration(const std::string& flag, std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0)
    throw std::invalid_argument(flag + ": expected a duration like 10s, got '" + std::string(text) +
                                "'");
  const long long n = std::stoll(std::string(text.substr(0, digits)));
  const std::string_view unit = text.substr(digits);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s" || unit.empty()) return std::chrono::seconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  throw std::invalid_argument(flag + ": unknown unit '" + std::string(unit) + "' (ms, s, m)");
}

unsigned parse_count(const std::string& flag, const std::string& text, unsigned lo, unsigned hi) {
  std::size_t used = 0;
  unsigned long v = 0;
  try {
    v = std::stoul(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < lo || v > hi)
    throw std::invalid_argument(flag + ": expected an integer " + std::to_string(lo) + ".." +
                                std::to_string(hi) + ", got '" + text + "'");
  return unsigned(v);
}

double parse_rate(const std::string& text) {
  std::size_t used = 0;
  double v = -1;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < 0)
    throw std::invalid_argument("--rate: expected a number >= 0, got '" + text + "'");
  return v;
}

// "\r\n" and "\\" as typed on a shell command line become the bytes they name.
std::string decode_escapes(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    switch (s[++i]) {
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '\\':
        out += '\\';
        break;
      default:
        out += '\\';
        out += s[i];
    }
  }
  return out;
}

// Load is only ever aimed at this machine: a typo must not turn it at someone else's host.
bool is_loopback(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return host == "localhost";
}

void split_target(LoadOptions& o, const std::string& target) {
  const std::size_t colon = target.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw std::invalid_argument("--target: expected HOST:PORT");
  o.host = target.substr(0, colon);
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']')
    o.host = o.host.substr(1, o.host.size() - 2);
  o.port = std::uint16_t(parse_count("--target port", target.substr(colon + 1), 1, 65535));
}

std::string default_request(const LoadOptions& o) {
  const std::string host = o.sni.empty() ? "backend.local" : o.sni;
  const std::string path = o.mode == Mode::bulk ? "/big" : "/small";
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
}

}  // namespace

LoadOptions parse_options(int argc, char** argv) {
  LoadOptions o;
  std::string target;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--help" || flag == "-h")
      throw std::invalid_argument(kLoadUsage);
    else if (flag == "--target")
      target = value();
    else if (flag == "--cert")
      o.cert = value();
    else if (flag == "--key")
      o.key = value();
    else if (flag == "--ca")
      o.ca = value();
    else if (flag == "--sni")
      o.sni = value();
    else if (flag == "--conns")
      o.conns = parse_count(flag, value(), 1, 20000);
    else if (flag == "--threads")
      o.threads = parse_count(flag, value(), 1, 64);
    else if (flag == "--duration")
      o.duration = parse_duration(flag, value());
    else if (flag == "--timeout")
      o.timeout = parse_duration(flag, value());
    else if (flag == "--resume")
      o.resume = true;
    else if (flag == "--plain")
      o.plain = true;
    else if (flag == "--netns-target")
      o.netns_target = true;
    else if (flag == "--rate")
      o.rate = parse_rate(value());
    else if (flag == "--request")
      o.request = decode_escapes(value());
    else if (flag == "--json")
      o.json = value();
    else if (flag == "--label")
      o.label = value();
    else if (flag == "--mode") {
      const std::string m = value();
      if (m == "handshake")
        o.mode = Mode::handshake;
      else if (m == "keepalive")
        o.mode = Mode::keepalive;
      else if (m == "bulk")
        o.mode = Mode::bulk;
      else
        throw std::invalid_argument("--mode: expected handshake, keepalive or bulk");
    } else {
      throw std::invalid_argument("unknown argument " + flag + " (--help)");
    }
  }
  if (target.empty()) throw std::invalid_argument("--target HOST:PORT is required");
  split_target(o, target);
  if (!o.netns_target && !is_loopback(o.host))
    throw std::invalid_argument("--target " + o.host +
                                " is not a loopback address (--netns-target)");
  if (!o.plain && (o.cert.empty() || o.key.empty() || o.ca.empty()))
    throw std::invalid_argument("--cert, --key and --ca are required unless --plain");
  if (o.duration < std::chrono::milliseconds(100) || o.duration > std::chrono::minutes(10))
    throw std::invalid_argument("--duration must be 100ms..10m");
  if (o.threads > o.conns) o.threads = o.conns;
  if (o.request.empty()) o.request = default_request(o);
  return o;
}

}  // namespace mtls::bench
