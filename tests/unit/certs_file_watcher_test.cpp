// FileWatcher: events in the watched files' directories (including the Kubernetes ..data swap)
// are reported, others are not; the fingerprint follows the content.
#include <gtest/gtest.h>
#include <poll.h>

#include <filesystem>

#include "certs/file_watcher.hpp"
#include "certs/pem.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

namespace fs = std::filesystem;

// Waits up to 2 s for events, then reports whether one concerned a watched file.
bool saw_change(FileWatcher& watcher) {
  pollfd p{watcher.fd(), POLLIN, 0};
  if (::poll(&p, 1, 2000) != 1) return false;
  return watcher.drain_events();
}

// Nothing pending after a short wait (events for other names were drained as irrelevant).
bool quiet(FileWatcher& watcher) {
  pollfd p{watcher.fd(), POLLIN, 0};
  return ::poll(&p, 1, 100) == 0 || !watcher.drain_events();
}

class FileWatcherTest : public ::testing::Test {
 protected:
  test::TestPki pki_;  // only for its temp directory
  std::string dir_ = pki_.dir();
};

TEST_F(FileWatcherTest, ReportsAnAtomicReplaceOfAWatchedFileButNotOfItsNeighbours) {
  write_file(dir_ + "/tls.crt", "one", 0644);
  FileWatcher watcher({dir_ + "/tls.crt"});
  ASSERT_TRUE(watcher.available()) << watcher.error();
  write_file(dir_ + "/other.crt", "x", 0644);
  EXPECT_TRUE(quiet(watcher));
  write_file(dir_ + "/tls.crt", "two", 0644);
  EXPECT_TRUE(saw_change(watcher));
}

TEST_F(FileWatcherTest, ReportsDeletionAndInPlaceWrites) {
  write_file(dir_ + "/tls.key", "one", 0600);
  FileWatcher watcher({dir_ + "/tls.key"});
  fs::remove(dir_ + "/tls.key");
  EXPECT_TRUE(saw_change(watcher));
  {
    std::FILE* f = std::fopen((dir_ + "/tls.key").c_str(), "w");
    std::fputs("new", f);
    std::fclose(f);
  }
  EXPECT_TRUE(saw_change(watcher));
}

TEST_F(FileWatcherTest, ReportsAKubernetesDataSwap) {
  fs::create_directory(dir_ + "/..2026_01_01_00_00_00.1");
  write_file(dir_ + "/..2026_01_01_00_00_00.1/tls.crt", "one", 0644);
  fs::create_directory_symlink("..2026_01_01_00_00_00.1", dir_ + "/..data");
  fs::create_symlink("..data/tls.crt", dir_ + "/tls.crt");
  FileWatcher watcher({dir_ + "/tls.crt"});
  const std::string before = watcher.fingerprint();

  fs::create_directory(dir_ + "/..2026_01_01_00_00_01.2");
  write_file(dir_ + "/..2026_01_01_00_00_01.2/tls.crt", "two", 0644);
  fs::create_directory_symlink("..2026_01_01_00_00_01.2", dir_ + "/..data_tmp");
  fs::rename(dir_ + "/..data_tmp", dir_ + "/..data");
  EXPECT_TRUE(saw_change(watcher));
  EXPECT_NE(watcher.fingerprint(), before);
}

TEST_F(FileWatcherTest, FingerprintFollowsContentNotTimestamps) {
  write_file(dir_ + "/a", "same", 0644);
  FileWatcher watcher({dir_ + "/a", dir_ + "/missing"});
  const std::string first = watcher.fingerprint();
  write_file(dir_ + "/a", "same", 0644);
  EXPECT_EQ(watcher.fingerprint(), first);
  write_file(dir_ + "/a", "different", 0644);
  EXPECT_NE(watcher.fingerprint(), first);
  write_file(dir_ + "/missing", "", 0644);
  EXPECT_NE(watcher.fingerprint(), first);
}

}  // namespace
}  // namespace mtls::certs
