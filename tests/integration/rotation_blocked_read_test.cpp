// A reload whose file read blocks (here a FIFO nobody writes to at the certificate's path; in
// production a hung network mount) holds only the loader thread: /healthz and /metrics still
// answer at once, the old identity keeps serving, and the reload completes once the read does.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

using namespace std::chrono_literals;

// Status of GET `path` on the admin port and how long the answer took; 0 if none within 5 s.
std::pair<int, std::chrono::milliseconds> timed_get(std::uint16_t port, const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  const PlainExchange x = plain_exchange(port, "GET " + path + " HTTP/1.0\r\n\r\n", 5000);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return {x.reply.size() > 12 ? std::stoi(x.reply.substr(9, 3)) : 0, took};
}

// Opens the FIFO for writing and closes it again and again until stopped: every reader blocked
// in open() or read() on it then sees an empty file.
class FifoReleaser {
 public:
  explicit FifoReleaser(std::string path) : path_(std::move(path)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        const int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) ::close(fd);
        std::this_thread::sleep_for(5ms);
      }
    });
  }
  ~FifoReleaser() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::string path_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(RotationBlockedRead, ProbesAndTheOldIdentityKeepServingWhileAReloadReadBlocks) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  const std::string dir = pki.dir() + "/identity";
  std::filesystem::create_directories(dir);
  const TestPki::Files files{dir + "/tls.crt", dir + "/tls.key"};
  const IssuedPem serving = issue_pem(pki.ca(), kBackendId, {"backend.local"});
  certs::write_file(files.cert, serving.cert, 0644);
  certs::write_file(files.key, serving.key, 0600);
  config::Config c = base_config(pki, files);
  c.inbound.push_back(inbound_listener(backend.port()));
  proxy::Sidecar sidecar(std::move(c));
  sidecar.start();
  const TestPki::Files client = pki.leaf("frontend", kFrontendId, {"frontend.local"});
  const auto served_serial = [&] {
    return ping({.port = sidecar.port("in"),
                 .ca_file = pki.ca_bundle(),
                 .cert_file = client.cert,
                 .key_file = client.key})
        .server_serial;
  };
  ASSERT_EQ(served_serial(), serving.serial);

  // The certificate becomes a FIFO (a second name for it lets the test release it later, even
  // while a reader is blocked in open()).
  const std::string fifo = pki.dir() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  std::filesystem::remove(files.cert);
  ASSERT_EQ(::link(fifo.c_str(), files.cert.c_str()), 0);
  auto reload = std::async(std::launch::async, [&] { return sidecar.reload(); });
  ASSERT_EQ(reload.wait_for(300ms), std::future_status::timeout)
      << "the precondition: the reload blocks reading the FIFO";

  for (const char* path : {"/healthz", "/metrics", "/ready"}) {
    const auto [status, took] = timed_get(sidecar.admin_port(), path);
    EXPECT_EQ(status, 200) << path;
    EXPECT_LT(took, 1000ms) << path;
  }
  EXPECT_EQ(served_serial(), serving.serial);

  // Released, the read finds an empty file: the reload fails and the old identity stays.
  FifoReleaser release(fifo);
  ASSERT_EQ(reload.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(reload.get().ok);
  EXPECT_EQ(served_serial(), serving.serial);
  sidecar.stop();  // with the FIFO still released: a reload triggered by the swap may be under way
}

}  // namespace
}  // namespace mtls::test
