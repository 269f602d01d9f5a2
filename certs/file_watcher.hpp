#pragma once
// Notices when the files a CertificateSource reads may have changed (DESIGN.md §4).
//
// inotify watches the *directory* of each file, never the file: writers replace files by
// rename(), and a Kubernetes Secret volume swaps all files at once by renaming the `..data`
// symlink (tls.crt -> ..data/tls.crt, ..data -> ..2026_11_23_13_29_24.123456789). An event in a
// watched directory counts when its name is a watched file's name or `..data`; a file that is a
// symlink also has the directory of its final target watched (re-resolved by rewatch()).
// Events only say "look again": fingerprint() (a hash of every file's content) says whether
// anything really changed, and is also the periodic backstop where inotify is unavailable.
//
// No I/O framework here: proxy/ waits for fd() to be readable on the control thread and then
// calls drain_events(). Not thread-safe; used from the control thread only.

#include <map>
#include <set>
#include <string>
#include <vector>

namespace mtls::certs {

class FileWatcher {
 public:
  // Opens an inotify instance and watches the files' directories. When inotify is unavailable
  // (no kernel support, fd limits) available() is false and error() says why.
  explicit FileWatcher(std::vector<std::string> files);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  bool available() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  int fd() const { return fd_; }  // non-blocking; readable when events are pending
  const std::vector<std::string>& files() const { return files_; }

  // Adds watches for directories that appeared or moved (a symlink now points elsewhere, a
  // directory was re-created). Cheap: call after every change and on every periodic check.
  void rewatch();
  // Reads every pending event without blocking; true when one may concern a watched file.
  bool drain_events();
  // SHA-256 over every file's content (a missing or unreadable file counts as such).
  std::string fingerprint() const;

 private:
  void watch(const std::string& dir, const std::string& name);

  std::vector<std::string> files_;
  int fd_ = -1;
  std::string error_;
  std::map<int, std::set<std::string>> names_;  // watch descriptor -> names that matter there
};

}  // namespace mtls::certs
