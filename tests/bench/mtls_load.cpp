// mtls-load: the mTLS load generator of the benchmark (tests/bench/README.md). See kLoadUsage.
// main parses options, builds the one client SSL_CTX, runs --threads LoadWorkers until the
// deadline, merges their statistics and prints them (and writes --json).

#include <openssl/err.h>
#include <signal.h>
#include <sys/resource.h>

#include <boost/asio/ip/address.hpp>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "tests/bench/load_worker.hpp"

namespace mtls::bench {
namespace {

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return e ? buf : "unknown OpenSSL error";
}

// The client side the way a sidecar's outbound would be: TLS >= 1.2, client certificate, the
// server verified against the CA (and its name, per connection, when --sni is given).
SSL_CTX* make_client_context(const LoadOptions& o) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) throw std::runtime_error("SSL_CTX_new: " + openssl_error());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert.c_str()) != 1)
    throw std::runtime_error(o.cert + ": " + openssl_error());
  if (SSL_CTX_use_PrivateKey_file(ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1)
    throw std::runtime_error(o.key + ": " + openssl_error());
  if (SSL_CTX_load_verify_locations(ctx, o.ca.c_str(), nullptr) != 1)
    throw std::runtime_error(o.ca + ": " + openssl_error());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (o.resume) {
    // Sessions are kept per connection (Connection::on_new_session), not in OpenSSL's store.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, &Connection::on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  }
  return ctx;
}

double seconds(const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; }

int run(const LoadOptions& o) {
  error_code ec;
  const auto address = net::ip::make_address(o.host == "localhost" ? "127.0.0.1" : o.host, ec);
  if (ec) throw std::invalid_argument("--target: '" + o.host + "' is not an IP address");
  const tcp::endpoint target(address, o.port);
  SSL_CTX* ctx = o.plain ? nullptr : make_client_context(o);

  std::vector<std::unique_ptr<LoadWorker>> workers;
  for (unsigned t = 0, first = 0; t < o.threads; ++t) {
    const unsigned n = o.conns / o.threads + (t < o.conns % o.threads ? 1 : 0);
    workers.push_back(std::make_unique<LoadWorker>(o, ctx, target, n, first));
    first += n;
  }
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  const auto start = Clock::now();
  const auto deadline = start + o.duration;
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w, deadline] { w->run(deadline); });
  for (auto& t : threads) t.join();
  const auto end = Clock::now();
  getrusage(RUSAGE_SELF, &after);

  LoadReport report;
  report.options = &o;
  report.elapsed_s = std::chrono::duration<double>(std::min(end, deadline) - start).count();
  report.cpu_user_s = seconds(after.ru_utime) - seconds(before.ru_utime);
  report.cpu_sys_s = seconds(after.ru_stime) - seconds(before.ru_stime);
  for (auto& w : workers) {
    report.stats.merge(w->stats());
    if (report.tls.empty()) report.tls = w->tls_seen();
  }
  workers.clear();
  if (ctx) SSL_CTX_free(ctx);
  print_table(stdout, report);
  if (!o.json.empty()) write_json(o.json, report);
  // Exit 1 when nothing succeeded, so scripts notice a dead target.
  return report.stats.requests > 0 ? 0 : 1;
}

}  // namespace
}  // namespace mtls::bench

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a reset peer is an error to count, not a reason to die
  mtls::bench::LoadOptions options;
  try {
    options = mtls::bench::parse_options(argc, argv);
  } catch (const std::invalid_argument& e) {
    const bool help = std::string(e.what()) == mtls::bench::kLoadUsage;
    std::fprintf(help ? stdout : stderr, "%s%s", help ? "" : "mtls-load: ", e.what());
    if (!help) std::fprintf(stderr, "\n");
    return help ? 0 : 2;
  }
  try {
    return mtls::bench::run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtls-load: %s\n", e.what());
    return 2;
  }
}
