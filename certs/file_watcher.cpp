#include "certs/file_watcher.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "certs/openssl_ptr.hpp"
#include "certs/pem.hpp"

namespace mtls::certs {
namespace {

namespace fs = std::filesystem;

// Every way a writer can put a new version of a file in place: written and closed, renamed in
// or out (atomic writers, the ..data swap), created, deleted, chmod/touch; and the directory
// itself going away.
constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;

// The kubelet's AtomicWriter swaps this symlink to publish every key of a Secret at once.
constexpr const char* kKubernetesData = "..data";

std::string dir_of(const fs::path& path) {
  const fs::path parent = path.parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

FileWatcher::FileWatcher(std::vector<std::string> files) : files_(std::move(files)) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    error_ = std::string("inotify_init1: ") + std::strerror(errno);
    return;
  }
  rewatch();
}

FileWatcher::~FileWatcher() {
  if (fd_ >= 0) ::close(fd_);
}

void FileWatcher::watch(const std::string& dir, const std::string& name) {
  const int wd = ::inotify_add_watch(fd_, dir.c_str(), kMask);
  if (wd < 0) return;  // the directory does not exist (yet): the periodic check covers it
  names_[wd].insert(name);
}

void FileWatcher::rewatch() {
  if (fd_ < 0) return;
  for (const std::string& file : files_) {
    const fs::path path(file);
    watch(dir_of(path), path.filename().string());
    watch(dir_of(path), kKubernetesData);
    std::error_code ec;
    const fs::path target = fs::canonical(path, ec);  // follows every symlink on the way
    if (!ec && target != fs::absolute(path, ec)) watch(dir_of(target), target.filename().string());
  }
}

bool FileWatcher::drain_events() {
  if (fd_ < 0) return false;
  bool relevant = false;
  alignas(inotify_event) char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) break;  // EAGAIN: drained (errors are the periodic check's business)
    for (ssize_t offset = 0; offset < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += ssize_t(sizeof(inotify_event) + event->len);
      if (event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW)) {
        if (event->mask & IN_IGNORED) names_.erase(event->wd);  // the directory is gone
        relevant = true;
        continue;
      }
      const auto names = names_.find(event->wd);
      if (event->len > 0 && names != names_.end() && names->second.count(event->name) > 0)
        relevant = true;
    }
  }
  return relevant;
}

std::string FileWatcher::fingerprint() const {
  using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX_free>>;
  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
  for (const std::string& file : files_) {
    std::string content;
    try {
      content = read_file(file);
    } catch (const std::exception& e) {
      content = std::string("unreadable: ") + e.what();
    }
    EVP_DigestUpdate(md.get(), file.data(), file.size() + 1);  // the '\0' separates the fields
    EVP_DigestUpdate(md.get(), content.data(), content.size() + 1);
    OPENSSL_cleanse(content.data(), content.size());  // keys and passphrases are among them
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(md.get(), digest, &length);
  return std::string(reinterpret_cast<char*>(digest), length);
}

}  // namespace mtls::certs
