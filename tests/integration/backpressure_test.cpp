// A backend that does not read holds the sender back (bounded buffers), memory stays flat, and
// once the backend reads again every byte arrives.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <fstream>

#include "tests/support/backends.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> value;
      return value;
    }
    status.ignore(1 << 10, '\n');
  }
  return 0;
}

TEST(Backpressure, ASlowReaderStopsTheSenderAndMemoryStaysFlat) {
  TestPki pki;
  Backend backend(Backend::Mode::slow);
  SidecarPair pair(pki, backend.port());
  const std::string data = random_bytes(256 << 20, 11);
  const long rss_before = rss_kib();

  std::atomic<std::size_t> sent{0};
  int connect_rc = -1;
  std::thread client([&] {
    // The echo of nothing: backend in slow mode answers nothing; we only watch the send side.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(pair.outbound_port());
    connect_rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    timeval tv{0, 200 * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < until && sent < data.size()) {
      const ssize_t n = ::send(fd, data.data() + sent,
                               std::min<std::size_t>(1 << 20, data.size() - sent), MSG_NOSIGNAL);
      if (n > 0) sent += std::size_t(n);
    }
    ::close(fd);
  });
  client.join();
  ASSERT_EQ(connect_rc, 0) << "the outbound listener accepted nothing";
  const long growth_kib = rss_kib() - rss_before;
  std::printf("[ measure  ] a non-reading backend let the app push %.1f MiB; RSS grew %ld KiB\n",
              double(sent.load()) / (1 << 20), growth_kib);
  // Kernel socket buffers on the four loopback hops hold a few MiB; the sidecars add at most
  // 16 KiB per pump. Without backpressure all 256 MiB would have been accepted.
  EXPECT_LT(sent.load(), std::size_t(48) << 20);
  // ...and data did flow until the buffers filled: a pair that accepted nothing would pass the
  // bound above. Four loopback hops hold well over 1 MiB before the sender blocks.
  EXPECT_GT(sent.load(), std::size_t(1) << 20);
  EXPECT_EQ(backend.connections(), 1) << "the bytes reached the backend's connection";
  EXPECT_LT(growth_kib, 24 * 1024);
  // For tests/reliability/scorecard.
  std::printf(
      "SCORE backpressure_rss_growth_kib %ld %s RSS growth < 24 MiB and < 48 MiB accepted "
      "while the backend reads nothing for 2 s (%.1f MiB accepted)\n",
      growth_kib, growth_kib < 24 * 1024 && sent.load() < (std::size_t(48) << 20) ? "pass" : "fail",
      double(sent.load()) / (1 << 20));
  backend.release();
}

}  // namespace
}  // namespace mtls::test
