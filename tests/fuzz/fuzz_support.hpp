#pragma once
// Helpers shared by the fuzz targets: contract checks that abort (so libFuzzer records the input
// as a crash), DER wrapped as PEM, and an in-memory file for the loaders that take a path.
// One fuzz target per process, single-threaded.

#include <openssl/evp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace mtls::fuzz {

// A broken contract: print what and abort; libFuzzer saves the input as crash-<sha1>.
[[noreturn]] inline void broken(const char* file, int line, const char* what,
                                const std::string& detail) {
  std::fprintf(stderr, "\nFUZZ CONTRACT BROKEN at %s:%d: %s\n  %s\n", file, line, what,
               detail.c_str());
  std::abort();
}
#define FUZZ_CHECK(cond, detail)                                            \
  do {                                                                      \
    if (!(cond)) ::mtls::fuzz::broken(__FILE__, __LINE__, #cond, (detail)); \
  } while (0)

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// "-----BEGIN <label>-----", base64 in 64-column lines, "-----END <label>-----".
inline std::string der_to_pem(std::string_view label, const std::uint8_t* der, std::size_t size) {
  std::string pem = "-----BEGIN " + std::string(label) + "-----\n";
  unsigned char line[4 * 48 / 3 + 1];
  for (std::size_t at = 0; at < size; at += 48) {
    const std::size_t n = size - at < 48 ? size - at : 48;
    const int len = EVP_EncodeBlock(line, der + at, static_cast<int>(n));
    pem.append(reinterpret_cast<const char*>(line), static_cast<std::size_t>(len));
    pem += '\n';
  }
  return pem + "-----END " + std::string(label) + "-----\n";
}

// A path whose content is `data`: one memfd per process, rewritten per input, so the loaders that
// only take a path (load_crls) are fuzzed without touching the disk.
inline std::string as_file(std::string_view data) {
  static const int fd = [] {
    const int f = memfd_create("fuzz-input", MFD_CLOEXEC);
    if (f < 0) std::abort();
    return f;
  }();
  if (ftruncate(fd, 0) != 0) std::abort();
  if (!data.empty() && pwrite(fd, data.data(), data.size(), 0) != static_cast<ssize_t>(data.size()))
    std::abort();
  return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace mtls::fuzz
