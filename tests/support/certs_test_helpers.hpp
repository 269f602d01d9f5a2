#pragma once
// For certs tests: the exact message an operation fails with, and the permission bits a file got,
// so a test can compare both against what the code promises.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <stdexcept>
#include <string>

namespace mtls::test {

// The message of the runtime_error `body` throws, or "" when it does not throw.
template <class Body>
std::string error_of(Body body) {
  try {
    body();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// The permission bits (mode & 07777) of `path`; a failed stat() fails the test.
inline unsigned mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

}  // namespace mtls::test
