// An upstream process killed with SIGKILL in the middle of a transfer: the app sees its
// connection end promptly, both sidecars close their sides, and nothing leaks (descriptors of
// this process, which hosts both sidecars, and memory) over repeated kills.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "proxy/demo/demo_sockets.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizer = true;
#else
constexpr bool kSanitizer = false;
#endif
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kKills = 12;

// Upstream processes, forked before any sidecar exists (so they hold none of its sockets): each
// accepts one connection on `listen_fd`, reports its pid on `report`, then echoes until killed.
std::vector<pid_t> fork_echo_upstreams(int count, int listen_fd, int report) {
  std::vector<pid_t> pids;
  for (int i = 0; i < count; ++i) {
    const pid_t pid = ::fork();
    if (pid != 0) {
      pids.push_back(pid);
      continue;
    }
    static char buf[65536];
    const int fd = ::accept(listen_fd, nullptr, nullptr);
    const pid_t self = ::getpid();
    if (fd < 0 || ::write(report, &self, sizeof self) != sizeof self) ::_exit(1);
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) ::_exit(0);
      for (ssize_t off = 0; off < n;) {
        const ssize_t w = ::write(fd, buf + off, std::size_t(n - off));
        if (w <= 0) ::_exit(0);
        off += w;
      }
    }
  }
  return pids;
}

struct Transfer {
  std::atomic<std::size_t> echoed{0};
  std::atomic<bool> ended{false};
  Clock::time_point ended_at;
};

// Streams random bytes through `port` and reads the echo until the connection ends.
void stream_until_end(std::uint16_t port, Transfer& t) {
  const int fd = connect_raw(port);
  if (fd < 0) return t.ended_at = Clock::now(), void(t.ended = true);
  const std::string chunk = random_bytes(64 * 1024, 5);
  std::vector<char> buf(64 * 1024);
  std::size_t sent = 0;
  for (;;) {
    pollfd p{fd, POLLIN | POLLOUT, 0};
    if (sent > t.echoed + (1 << 20)) p.events = POLLIN;  // keep at most 1 MiB in flight
    if (::poll(&p, 1, 10000) <= 0) break;
    if (p.revents & POLLIN) {
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN)) break;
      if (n > 0) t.echoed += std::size_t(n);
    } else if (p.revents & (POLLERR | POLLHUP)) {
      break;
    }
    if (p.revents & POLLOUT) {
      const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) break;
      if (n > 0) sent += std::size_t(n);
    }
  }
  t.ended_at = Clock::now();
  t.ended = true;
  ::close(fd);
}

// One transfer through the pair to the next upstream process, killed once 2 MiB came back.
// Returns milliseconds from the kill to the app seeing the end (-1: it did not within 5 s).
double kill_mid_stream(const SidecarPair& pair, int report) {
  Transfer t;
  std::thread app([&] { stream_until_end(pair.outbound_port(), t); });
  const auto give_up = Clock::now() + std::chrono::seconds(10);
  while (t.echoed < (2u << 20) && !t.ended && Clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const bool mid_stream = !t.ended && t.echoed >= (2u << 20);
  pid_t upstream = 0;
  pollfd p{report, POLLIN, 0};
  if (!mid_stream || ::poll(&p, 1, 0) != 1 ||
      ::read(report, &upstream, sizeof upstream) != sizeof upstream) {
    ADD_FAILURE() << "the transfer was not running through an upstream process";
    app.join();
    return -1;
  }
  const auto killed_at = Clock::now();
  ::kill(upstream, SIGKILL);  // reaped at the end of the test: a zombie's pid is not reused
  const auto deadline = killed_at + std::chrono::seconds(5);
  while (!t.ended && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const bool ended = t.ended;
  app.join();  // its own poll timeout (10 s) bounds this if the end never came
  if (!ended) return -1;
  return std::chrono::duration<double, std::milli>(t.ended_at - killed_at).count();
}

TEST(FaultsUpstreamKill, TheAppSeesTheEndAndNothingLeaksOverRepeatedKills) {
  std::uint16_t upstream_port = 0;
  const proxy::demo::Fd listener = proxy::demo::listen_loopback(upstream_port);
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const std::vector<pid_t> upstreams = fork_echo_upstreams(kKills + 1, listener.get(), report[1]);
  struct Reap {
    const std::vector<pid_t>& pids;
    ~Reap() {
      for (pid_t pid : pids) ::kill(pid, SIGKILL);
      for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
    }
  } reap{upstreams};
  TestPki pki;
  SidecarPair pair(pki, upstream_port);

  ASSERT_GE(kill_mid_stream(pair, report[0]), 0);  // warm-up: pools, caches, first sessions
  ASSERT_EQ(wait_sample(*pair.inbound, "mtls_connections_active", {}, 0), 0);
  ASSERT_EQ(wait_sample(*pair.outbound, "mtls_connections_active", {}, 0), 0);
  const int fds_before = open_fds();
  const long rss_before = rss_kib();

  std::vector<double> end_ms;
  for (int i = 0; i < kKills; ++i) end_ms.push_back(kill_mid_stream(pair, report[0]));
  const double in_active = wait_sample(*pair.inbound, "mtls_connections_active", {}, 0);
  const double out_active = wait_sample(*pair.outbound, "mtls_connections_active", {}, 0);
  const int fds_after = open_fds();
  ::close(report[0]);
  ::close(report[1]);
  const long rss_growth = rss_kib() - rss_before;

  const long not_ended = std::count(end_ms.begin(), end_ms.end(), -1.0);
  std::sort(end_ms.begin(), end_ms.end());
  std::printf(
      "[ measure  ] %d upstreams SIGKILLed mid-stream: the app saw the end after median "
      "%.1f ms, max %.1f ms (%ld never); fds %d -> %d; RSS %+ld KiB\n",
      kKills, end_ms[end_ms.size() / 2], end_ms.back(), not_ended, fds_before, fds_after,
      rss_growth);
  EXPECT_EQ(not_ended, 0);
  EXPECT_LE(end_ms.back(), 1000);
  EXPECT_EQ(in_active, 0);
  EXPECT_EQ(out_active, 0);
  EXPECT_EQ(fds_after, fds_before);
  // ASan keeps freed memory in quarantine and TSan grows shadow memory, so RSS says nothing
  // there; the release build checks this bound, LeakSanitizer checks the ASan build for leaks.
  if (!kSanitizer) {
    EXPECT_LT(rss_growth, 8 * 1024);
  }
  score("upstream_sigkill_end_seen_max_ms", end_ms.back(), not_ended == 0 && end_ms.back() <= 1000,
        "12 kills mid-stream: app sees the end <=1000ms");
  score("upstream_sigkill_fd_leak", fds_after - fds_before, fds_after == fds_before,
        "/proc/self/fd count equal before/after 12 kills (both sidecars in-process)");
  score("upstream_sigkill_rss_growth_kib", double(rss_growth), rss_growth < 8 * 1024,
        "RSS growth <8MiB over 12 kills (after warm-up)");
}

}  // namespace
}  // namespace mtls::test
