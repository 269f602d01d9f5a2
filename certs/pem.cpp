#include "certs/pem.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

namespace mtls::certs {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& why) {
  throw std::runtime_error(name + ": " + why);
}

[[noreturn]] void fail_errno(const std::string& name, const char* what, int err) {
  fail(name, std::string(what) + ": " + std::strerror(err));
}

// Wipes a string holding key material when it goes out of scope, also on throw.
struct Cleanse {
  std::string& text;
  ~Cleanse() { OPENSSL_cleanse(text.data(), text.size()); }
};

BioPtr memory_bio(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw std::runtime_error("out of memory: " + drain_openssl_errors());
  return bio;
}

// One PEM block (-----BEGIN type-----); its data is wiped on release, as it may be a key that
// shares the file with the certificates.
struct PemBlock {
  char* type = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  ~PemBlock() {
    OPENSSL_free(type);
    OPENSSL_free(header);
    OPENSSL_clear_free(data, static_cast<size_t>(length));
  }
};

// Calls on_block(block, index) for each PEM block, index counting from 1.
template <class OnBlock>
void for_each_pem_block(std::string_view pem, const std::string& name, OnBlock on_block) {
  BioPtr bio = memory_bio(pem);
  ERR_clear_error();
  for (int index = 1;; ++index) {
    PemBlock block;
    if (PEM_read_bio(bio.get(), &block.type, &block.header, &block.data, &block.length) != 1) {
      if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        return;
      }
      fail(name, "malformed PEM at block " + std::to_string(index) + ": " + drain_openssl_errors());
    }
    on_block(block, index);
  }
}

// DER that must decode completely; trailing bytes mean a corrupt or spliced block.
template <class T, T* (*D2i)(T**, const unsigned char**, long), void (*Free)(T*)>
T* decode_whole(const PemBlock& block) {
  const unsigned char* p = block.data;
  T* object = D2i(nullptr, &p, block.length);
  if (object != nullptr && p != block.data + block.length) {
    Free(object);
    return nullptr;
  }
  return object;
}

struct PassphraseRequest {
  const std::string* passphrase;
  bool asked = false;
};

// Never NULL as the callback: OpenSSL would then prompt on the terminal.
int passphrase_callback(char* buf, int size, int /*rwflag*/, void* user) {
  auto* request = static_cast<PassphraseRequest*>(user);
  request->asked = true;
  const std::string& pass = *request->passphrase;
  if (pass.empty() || pass.size() > static_cast<size_t>(size)) return 0;
  std::memcpy(buf, pass.data(), pass.size());
  return static_cast<int>(pass.size());
}

}  // namespace

std::vector<X509Ptr> parse_certificates(std::string_view pem, const std::string& name) {
  std::vector<X509Ptr> certs;
  for_each_pem_block(pem, name, [&](const PemBlock& block, int index) {
    const std::string_view type = block.type;
    // "TRUSTED CERTIFICATE" is skipped too: its trust settings would override the verifier's.
    if (type != "CERTIFICATE" && type != "X509 CERTIFICATE") return;  // e.g. a key, a CRL
    X509* cert = decode_whole<X509, d2i_X509, X509_free>(block);
    if (cert == nullptr) {
      ERR_clear_error();
      fail(name, "malformed certificate at PEM block " + std::to_string(index));
    }
    certs.emplace_back(cert);
  });
  if (certs.empty()) fail(name, "no certificate found");
  return certs;
}

std::vector<X509Ptr> load_certificates(const std::string& path) {
  std::string pem = read_file(path);
  Cleanse wipe{pem};  // a combined file holds the key too
  return parse_certificates(pem, path);
}

EvpPkeyPtr parse_private_key(std::string_view pem, const std::string& name,
                             const std::string& passphrase) {
  // Checked up front: OpenSSL's decoder reports a key-less file as "unsupported" data.
  if (pem.find("PRIVATE KEY-----") == std::string_view::npos) fail(name, "no private key found");
  BioPtr bio = memory_bio(pem);
  PassphraseRequest request{&passphrase};
  ERR_clear_error();
  EvpPkeyPtr key(PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, passphrase_callback, &request,
                                            nullptr, nullptr));
  if (key) {
    ERR_clear_error();
    return key;
  }
  const std::string errors = drain_openssl_errors();
  if (request.asked) fail(name, "cannot decrypt private key (wrong or missing passphrase)");
  fail(name, "malformed private key: " + errors);
}

EvpPkeyPtr load_private_key(const std::string& path, const std::string& passphrase) {
  std::string pem = read_file(path);
  Cleanse wipe{pem};
  return parse_private_key(pem, path, passphrase);
}

std::vector<X509CrlPtr> load_crls(const std::string& path) {
  std::vector<X509CrlPtr> crls;
  for_each_pem_block(read_file(path), path, [&](const PemBlock& block, int index) {
    if (std::string_view(block.type) != "X509 CRL") return;
    X509_CRL* crl = decode_whole<X509_CRL, d2i_X509_CRL, X509_CRL_free>(block);
    if (crl == nullptr) {
      ERR_clear_error();
      fail(path, "malformed CRL at PEM block " + std::to_string(index));
    }
    crls.emplace_back(crl);
  });
  if (crls.empty()) fail(path, "no CRL found");
  return crls;
}

namespace {
// Passphrases taken out of the environment, by variable name. Never freed: they are needed for
// every reload until the process ends.
std::mutex taken_mutex;
std::map<std::string, std::string>& taken_passphrases() {
  static auto* taken = new std::map<std::string, std::string>;
  return *taken;
}
}  // namespace

void take_passphrase_env(const std::string& env) {
  if (env.empty()) return;
  char* value = std::getenv(env.c_str());
  if (value == nullptr) return;
  {
    std::lock_guard lock(taken_mutex);
    taken_passphrases()[env] = value;
  }
  OPENSSL_cleanse(value, std::strlen(value));
  ::unsetenv(env.c_str());
}

std::string read_passphrase(const std::string& file, const std::string& env) {
  if (!file.empty()) {
    std::string pass = read_file(file);
    // One trailing newline is what `echo` and editors add; anything else is part of the secret.
    if (pass.ends_with("\r\n")) {
      OPENSSL_cleanse(pass.data() + pass.size() - 2, 2);
      pass.resize(pass.size() - 2);
    } else if (pass.ends_with('\n')) {
      OPENSSL_cleanse(pass.data() + pass.size() - 1, 1);
      pass.pop_back();
    }
    if (pass.empty()) fail(file, "passphrase file is empty");
    return pass;
  }
  if (!env.empty()) {
    {
      std::lock_guard lock(taken_mutex);
      const auto& taken = taken_passphrases();
      if (auto it = taken.find(env); it != taken.end()) return it->second;
    }
    const char* value = std::getenv(env.c_str());
    if (value == nullptr) fail(env, "environment variable is not set");
    if (*value == '\0') fail(env, "environment variable is empty");
    return value;
  }
  return {};
}

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    throw std::runtime_error("cannot encode certificate: " + drain_openssl_errors());
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string to_pem(EVP_PKEY* key, const std::string& passphrase) {
  // A secure-memory BIO wipes its buffer when freed; the returned copy is the caller's to wipe.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  bool ok = false;
  if (bio && passphrase.empty()) {
    ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  } else if (bio) {
    // scrypt instead of OpenSSL's default PBKDF2 with 2048 iterations, which a GPU guesses
    // through at billions of passphrases a day. N = 2^14, r = 8 (16 MiB, what `openssl pkcs8
    // -scrypt` uses) stays under the 32 MiB OpenSSL allows when decrypting.
    PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(key);
    X509_ALGOR* pbe =
        PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), nullptr, 0, nullptr, kScryptN, kScryptR, kScryptP);
    X509_SIG* sealed = info && pbe
                           ? PKCS8_set0_pbe(passphrase.data(), int(passphrase.size()), info, pbe)
                           : nullptr;
    if (sealed == nullptr) X509_ALGOR_free(pbe);  // PKCS8_set0_pbe owns it only on success
    ok = sealed && PEM_write_bio_PKCS8(bio.get(), sealed) == 1;
    X509_SIG_free(sealed);
    PKCS8_PRIV_KEY_INFO_free(info);
  }
  if (!ok) throw std::runtime_error("cannot encode private key: " + drain_openssl_errors());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno(path, "cannot read", errno);
  std::string data;
  // Sized up front: growing by reallocation would leave stale copies of a key on the heap.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) data.reserve(static_cast<size_t>(st.st_size) + 1);
  char chunk[4096];
  int err = 0;
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : 0;
      break;
    }
    if (data.capacity() < data.size() + static_cast<size_t>(n)) {
      std::string bigger;
      bigger.reserve(2 * (data.size() + static_cast<size_t>(n)));
      bigger.append(data);
      OPENSSL_cleanse(data.data(), data.size());
      data.swap(bigger);
    }
    data.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  OPENSSL_cleanse(chunk, sizeof chunk);
  if (err != 0) {
    OPENSSL_cleanse(data.data(), data.size());
    fail_errno(path, "cannot read", err);
  }
  return data;
}

namespace {

// False with errno set on failure.
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// A hidden, unpredictable name next to the target: rename() is atomic only within a file system,
// and O_EXCL on a fresh name means we never write through someone else's file or symlink.
int create_temp(const std::string& path, unsigned mode, std::string& temp) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  for (int attempt = 0; attempt < 16; ++attempt) {
    unsigned char random[8];
    if (RAND_bytes(random, sizeof random) != 1) fail(path, "cannot write: no randomness");
    char hex[sizeof random * 2 + 1];
    for (size_t i = 0; i < sizeof random; ++i) std::snprintf(hex + 2 * i, 3, "%02x", random[i]);
    temp = dir + "." + base + ".tmp-" + hex;
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
    if (errno != EEXIST) fail_errno(path, "cannot write", errno);
  }
  fail(path, "cannot write: no free temporary name");
}

}  // namespace

void write_file(const std::string& path, std::string_view data, unsigned mode) {
  std::string temp;
  const int fd = create_temp(path, mode, temp);
  const char* what = "cannot write";
  int err = 0;
  // The umask may have cleared bits the caller asked for (0644 for a certificate); set the exact
  // mode before any byte lands in the file.
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    err = errno;
    what = "cannot chmod";
  } else if (!write_all(fd, data) || ::fsync(fd) != 0) {
    err = errno;
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(temp.c_str(), path.c_str()) != 0) {
    err = errno;
    what = "cannot rename into place";
  }
  if (err != 0) {
    ::unlink(temp.c_str());
    fail_errno(path, what, err);
  }
  // The rename itself is durable only once the directory is synced; best effort.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace mtls::certs
