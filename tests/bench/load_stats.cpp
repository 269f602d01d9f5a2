#include "tests/bench/load_stats.hpp"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <stdexcept>

namespace mtls::bench {

Samples::Summary Samples::summarize() const {
  Summary s;
  s.count = us_.size();
  if (us_.empty()) return s;
  std::vector<std::uint32_t> v = us_;
  std::sort(v.begin(), v.end());
  // Nearest rank, like wrk and HdrHistogram: the smallest sample >= the fraction of all samples.
  auto at = [&](double q) {
    const std::size_t rank = std::size_t(q * double(v.size()) + 0.999999);
    return double(v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)]);
  };
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  s.p50 = at(0.50);
  s.p90 = at(0.90);
  s.p99 = at(0.99);
  s.p999 = at(0.999);
  s.max = v.back();
  return s;
}

void LoadStats::merge(const LoadStats& o) {
  connections += o.connections;
  handshakes += o.handshakes;
  resumed += o.resumed;
  requests += o.requests;
  bad_status += o.bad_status;
  body_bytes += o.body_bytes;
  bytes_in += o.bytes_in;
  for (const auto& [k, v] : o.errors) errors[k] += v;
  handshake_us.merge(o.handshake_us);
  request_us.merge(o.request_us);
  connection_us.merge(o.connection_us);
}

namespace {

double per_s(std::uint64_t n, double s) { return s > 0 ? double(n) / s : 0; }

void print_latency(std::FILE* out, const char* name, const Samples& samples) {
  const Samples::Summary s = samples.summarize();
  if (s.count == 0) return;
  std::fprintf(out, "  %-22s %9zu %9.3f %9.3f %9.3f %9.3f %9.3f\n", name, s.count, s.mean / 1e3,
               s.p50 / 1e3, s.p99 / 1e3, s.p999 / 1e3, s.max / 1e3);
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string json_latency(const Samples& samples) {
  const Samples::Summary s = samples.summarize();
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"count\": %zu, \"mean\": %.1f, \"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, "
                "\"p999\": %.1f, \"max\": %.1f}",
                s.count, s.mean, s.p50, s.p90, s.p99, s.p999, s.max);
  return buf;
}

}  // namespace

void print_table(std::FILE* out, const LoadReport& r) {
  const LoadOptions& o = *r.options;
  const LoadStats& s = r.stats;
  std::fprintf(out, "mtls-load %s %s:%u  conns=%u threads=%u%s%s%s  %.2f s%s%s\n",
               mode_name(o.mode), o.host.c_str(), o.port, o.conns, o.threads,
               o.plain ? " plain" : "", o.resume ? " resume" : "",
               o.rate > 0 ? (" rate=" + std::to_string(int(o.rate))).c_str() : "", r.elapsed_s,
               r.tls.empty() ? "" : "  ", r.tls.c_str());
  std::fprintf(out,
               "  connections/s %10.1f   handshakes/s %10.1f   requests/s %10.1f   MB/s %8.1f\n",
               per_s(s.connections, r.elapsed_s), per_s(s.handshakes, r.elapsed_s),
               per_s(s.requests, r.elapsed_s), per_s(s.bytes_in, r.elapsed_s) / 1e6);
  if (!o.plain) {
    std::fprintf(out, "  resumed %llu of %llu handshakes (%.1f %%)\n",
                 (unsigned long long)s.resumed, (unsigned long long)s.handshakes,
                 s.handshakes ? 100.0 * double(s.resumed) / double(s.handshakes) : 0.0);
  }
  std::fprintf(out, "  %-22s %9s %9s %9s %9s %9s %9s\n", "latency (ms)", "count", "mean", "p50",
               "p99", "p99.9", "max");
  print_latency(out, "handshake", s.handshake_us);
  print_latency(out, "request", s.request_us);
  print_latency(out, "connection (total)", s.connection_us);
  std::fprintf(out, "  errors:");
  if (s.errors.empty() && s.bad_status == 0) std::fprintf(out, " none");
  if (s.bad_status) std::fprintf(out, " http_status>=400=%llu", (unsigned long long)s.bad_status);
  for (const auto& [k, v] : s.errors)
    std::fprintf(out, " [%s]=%llu", k.c_str(), (unsigned long long)v);
  std::fprintf(out, "\n  mtls-load CPU: %.2f s user + %.2f s sys (%.0f %% of one core)\n",
               r.cpu_user_s, r.cpu_sys_s,
               r.elapsed_s > 0 ? 100 * (r.cpu_user_s + r.cpu_sys_s) / r.elapsed_s : 0.0);
}

void write_json(const std::string& path, const LoadReport& r) {
  const LoadOptions& o = *r.options;
  const LoadStats& s = r.stats;
  std::ofstream f(path);
  if (!f) throw std::runtime_error("cannot write " + path);
  char num[64];
  auto n = [&](double v) {
    std::snprintf(num, sizeof num, "%.3f", v);
    return std::string(num);
  };
  f << "{\n  \"tool\": \"mtls-load\", \"label\": " << json_string(o.label)
    << ", \"target\": " << json_string(o.host + ":" + std::to_string(o.port)) << ", \"mode\": \""
    << mode_name(o.mode) << "\",\n  \"resume\": " << (o.resume ? "true" : "false")
    << ", \"plain\": " << (o.plain ? "true" : "false") << ", \"conns\": " << o.conns
    << ", \"threads\": " << o.threads << ", \"rate_target\": " << n(o.rate)
    << ", \"duration_s\": " << n(r.elapsed_s) << ", \"tls\": " << json_string(r.tls) << ",\n"
    << "  \"connections\": " << s.connections << ", \"handshakes\": " << s.handshakes
    << ", \"resumed\": " << s.resumed << ", \"requests\": " << s.requests
    << ", \"bad_status\": " << s.bad_status << ", \"body_bytes\": " << s.body_bytes
    << ", \"bytes_in\": " << s.bytes_in << ",\n"
    << "  \"connections_per_s\": " << n(per_s(s.connections, r.elapsed_s))
    << ", \"handshakes_per_s\": " << n(per_s(s.handshakes, r.elapsed_s))
    << ", \"requests_per_s\": " << n(per_s(s.requests, r.elapsed_s))
    << ", \"mb_per_s\": " << n(per_s(s.bytes_in, r.elapsed_s) / 1e6)
    << ", \"resumption_rate\": " << n(s.handshakes ? double(s.resumed) / double(s.handshakes) : 0)
    << ",\n  \"handshake_latency_us\": " << json_latency(s.handshake_us)
    << ",\n  \"request_latency_us\": " << json_latency(s.request_us)
    << ",\n  \"connection_latency_us\": " << json_latency(s.connection_us) << ",\n  \"errors\": {";
  bool first = true;
  for (const auto& [k, v] : s.errors) {
    f << (first ? "" : ", ") << json_string(k) << ": " << v;
    first = false;
  }
  f << "},\n  \"client_cpu_s\": {\"user\": " << n(r.cpu_user_s) << ", \"sys\": " << n(r.cpu_sys_s)
    << "}\n}\n";
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace mtls::bench
