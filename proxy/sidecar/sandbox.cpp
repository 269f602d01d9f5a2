#include "proxy/sidecar/sandbox.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/landlock.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "certs/pkcs11_key.hpp"

namespace mtls::proxy::sandbox {
namespace {

namespace fs = std::filesystem;

// Debian bookworm's linux/landlock.h stops at ABI 2; newer rights and the ruleset fields added
// later are spelled out here (values from the kernel's uapi header, which only ever grows).
constexpr std::uint64_t kFsAbi1 = (1ULL << 13) - 1;      // EXECUTE .. MAKE_SYM
constexpr std::uint64_t kFsRefer = 1ULL << 13;           // ABI 2
constexpr std::uint64_t kFsTruncate = 1ULL << 14;        // ABI 3
constexpr std::uint64_t kFsIoctlDev = 1ULL << 15;        // ABI 5
constexpr std::uint64_t kScopeAbstractUnix = 1ULL << 0;  // ABI 6
constexpr std::uint64_t kScopeSignal = 1ULL << 1;        // ABI 6
constexpr std::uint64_t kReadFile = LANDLOCK_ACCESS_FS_READ_FILE;
constexpr std::uint64_t kReadDir = LANDLOCK_ACCESS_FS_READ_DIR;

// struct landlock_ruleset_attr as of ABI 6; older kernels get a prefix of it (their size).
struct RulesetAttr {
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0;  // ABI 4: not used (ports are bound inside the sandbox)
  std::uint64_t scoped = 0;              // ABI 6
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The highest Landlock ABI the kernel offers; 0 and `why` when it has none or it is disabled.
int landlock_abi(std::string& why) {
  const long abi =
      ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi >= 0) return int(abi);
  why = errno == ENOSYS       ? "the kernel has no Landlock"
        : errno == EOPNOTSUPP ? "Landlock is disabled at boot (lsm=)"
                              : std::strerror(errno);
  return 0;
}

std::uint64_t handled_fs(int abi) {
  std::uint64_t rights = kFsAbi1;
  if (abi >= 2) rights |= kFsRefer;
  if (abi >= 3) rights |= kFsTruncate;
  if (abi >= 5) rights |= kFsIoctlDev;
  return rights;
}

void add_unique(std::vector<std::string>& list, const std::string& path) {
  if (!path.empty() && std::find(list.begin(), list.end(), path) == list.end())
    list.push_back(path);
}

// The directory holding `file`, and the one holding its target when it is a symlink elsewhere
// (Kubernetes Secret volumes: tls.crt -> ..data/tls.crt, swapped by renaming ..data). Granting
// the directory rather than the file keeps reloads working after such a swap or a rename.
void add_dir_of(Plan& plan, const std::string& file) {
  if (file.empty()) return;
  std::error_code ec;
  const fs::path absolute = fs::absolute(file, ec);
  if (ec) return;
  add_unique(plan.read_dirs, absolute.parent_path().lexically_normal().string());
  const fs::path real = fs::weakly_canonical(absolute, ec);
  if (!ec) add_unique(plan.read_dirs, real.parent_path().string());
}

void add_dir(Plan& plan, const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  const fs::path absolute = fs::absolute(dir, ec);
  if (ec) return;
  add_unique(plan.read_dirs, absolute.lexically_normal().string());
  const fs::path real = fs::weakly_canonical(absolute, ec);
  if (!ec) add_unique(plan.read_dirs, real.string());
}

void add_file(Plan& plan, const std::string& file) {
  add_unique(plan.read_files, file);
  std::error_code ec;
  const fs::path real = fs::canonical(file, ec);
  if (!ec) add_unique(plan.read_files, real.string());
}

// A key in a token: the PIN file stays readable (the key is loaded again at every certificate
// reload), and so does the token's storage, which SoftHSM2 reads at every signature, not only
// at a load. The engine and the module were loaded before the sandbox closed.
void add_pkcs11(Plan& plan, const std::string& key) {
  try {
    const certs::Pkcs11Uri uri = certs::parse_pkcs11_uri(key);
    add_dir_of(plan, uri.pin_file);
    for (const std::string& dir : certs::pkcs11_storage_dirs(uri)) add_dir(plan, dir);
  } catch (const std::exception&) {
    // a bad URI stopped the start-up already
  }
}

void resolve_user(const std::string& user, Plan& plan) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  const bool numeric =
      std::all_of(user.begin(), user.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (numeric) {
    ::getpwuid_r(uid_t(std::stoul(user)), &pw, buf.data(), buf.size(), &found);
  } else {
    ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  }
  plan.user = user;
  if (!found) {
    // A bare uid without a passwd entry is common in containers (`USER 10001`): its own gid.
    if (!numeric)
      throw std::runtime_error("run_as_user: no user named \"" + user + "\" on this system");
    plan.uid = uid_t(std::stoul(user));
    plan.gid = gid_t(plan.uid);
    return;
  }
  plan.uid = pw.pw_uid;
  plan.gid = pw.pw_gid;
  int count = 64;
  std::vector<gid_t> groups(std::size_t(count), 0);
  if (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &count) < 0) {
    groups.resize(std::size_t(count));
    ::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &count);
  }
  groups.resize(std::size_t(std::max(count, 0)));
  plan.groups = std::move(groups);
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// One rule per existing path; a missing one is skipped (an optional file, a CRL not yet there).
int add_rules(int ruleset, const std::vector<std::string>& paths, std::uint64_t access,
              std::string& skipped) {
  int added = 0;
  for (const auto& path : paths) {
    const Fd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (fd.get() < 0) {
      skipped += (skipped.empty() ? "" : ", ") + path;
      continue;
    }
    landlock_path_beneath_attr rule{};
    rule.allowed_access = access;
    rule.parent_fd = fd.get();
    if (::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0)
      throw std::runtime_error(errno_text("landlock_add_rule " + path));
    ++added;
  }
  return added;
}

std::string join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

bool plan_includes_own_proc() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(leak_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

Plan make_plan(const config::Config& config) {
  Plan plan;
  switch (config.identity.source) {
    case config::IdentitySource::file:
      add_dir_of(plan, config.identity.file.cert);
      if (certs::is_pkcs11_uri(config.identity.file.key)) {
        add_pkcs11(plan, config.identity.file.key);
      } else {
        add_dir_of(plan, config.identity.file.key);
      }
      add_dir_of(plan, config.identity.file.key_passphrase_file);
      break;
    case config::IdentitySource::local_ca:
      add_dir(plan, config.identity.local_ca.dir);  // ca.crt and ca.key, read at every renewal
      add_dir_of(plan, config.identity.local_ca.key_passphrase_file);
      break;
    case config::IdentitySource::acm:
      break;
  }
  // HTTPS to AWS (ACM, KMS, ACM-PCA) and the credential endpoints verifies against the system
  // trust store or AWS_CA_BUNDLE. The token files are rotated (kubelet, EKS Pod Identity) and
  // read at every credential refresh.
  const bool uses_aws =
      config.identity.source == config::IdentitySource::acm ||
      (config.identity.source == config::IdentitySource::file && config.identity.file.key_kms) ||
      !config.trust.acm_pca_arn.empty();
  if (uses_aws) {
    add_dir(plan, X509_get_default_cert_dir());
    add_dir_of(plan, X509_get_default_cert_file());
    if (const char* dir = std::getenv("SSL_CERT_DIR"); dir && *dir) add_dir(plan, dir);
    for (const char* env :
         {"SSL_CERT_FILE", "AWS_CA_BUNDLE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
          "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"}) {
      if (const char* file = std::getenv(env); file && *file) add_dir_of(plan, file);
    }
    if (const char* home = std::getenv("HOME"); home && *home)
      add_dir(plan, std::string(home) + "/.aws");
  }
  add_dir_of(plan, config.trust.ca_bundle);
  add_dir_of(plan, config.trust.crl);
  for (const config::TrustDomainBundle& domain : config.trust.domains)
    add_dir_of(plan, domain.ca_bundle);
  // `forward` host names are re-resolved while running.
  for (const char* f : {"/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/host.conf",
                        "/etc/gai.conf"}) {
    add_file(plan, f);
  }
  // Sanitizer runtimes read the process's own /proc entry (LeakSanitizer lists /proc/PID/task
  // at exit). Release builds keep /proc closed: /proc/PID/environ is where key_passphrase_env
  // would be read from, and nothing else there is needed.
  if (plan_includes_own_proc()) add_dir(plan, "/proc/" + std::to_string(::getpid()));
  if (!config.run_as_user.empty()) resolve_user(config.run_as_user, plan);
  return plan;
}

Status restrict_filesystem(const Plan& plan) {
  Status status;
  // What must be loaded before the filesystem closes: OpenSSL's config file, and the NSS
  // modules name resolution uses (dlopen'ed on first use).
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, nullptr);
  addrinfo* warm = nullptr;
  if (::getaddrinfo("localhost", nullptr, nullptr, &warm) == 0) ::freeaddrinfo(warm);

  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw std::runtime_error(errno_text("PR_SET_NO_NEW_PRIVS"));
  status.no_new_privs = true;

  std::string why;
  status.landlock_abi = landlock_abi(why);
  if (status.landlock_abi == 0) {
    status.detail = "landlock: not available (" + why +
                    "); the filesystem is not restricted, no_new_privs is set";
    return status;
  }
  RulesetAttr attr;
  attr.handled_access_fs = handled_fs(status.landlock_abi);
  std::size_t size = sizeof attr.handled_access_fs;
  if (status.landlock_abi >= 6) {
    // Nor may it talk to abstract unix sockets or signal processes outside its own sandbox.
    attr.scoped = kScopeAbstractUnix | kScopeSignal;
    size = sizeof attr;
  }
  const Fd ruleset(int(::syscall(SYS_landlock_create_ruleset, &attr, size, 0)));
  if (ruleset.get() < 0) throw std::runtime_error(errno_text("landlock_create_ruleset"));
  std::string skipped;
  const int dirs = add_rules(ruleset.get(), plan.read_dirs, kReadFile | kReadDir, skipped);
  const int files = add_rules(ruleset.get(), plan.read_files, kReadFile, skipped);
  if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0)
    throw std::runtime_error(errno_text("landlock_restrict_self"));
  status.landlock_enforced = true;
  status.detail = "landlock ABI " + std::to_string(status.landlock_abi) +
                  ": files open read-only beneath [" + join(plan.read_dirs) + "] and [" +
                  join(plan.read_files) +
                  "]; nothing else opens, nothing is writable or executable" +
                  (status.landlock_abi >= 6 ? "; abstract unix sockets and signals scoped" : "") +
                  "; " + std::to_string(dirs) + " dir and " + std::to_string(files) +
                  " file rules" + (skipped.empty() ? "" : " (absent, skipped: " + skipped + ")");
  return status;
}

void drop_privileges(const Plan& plan) {
  if (plan.user.empty()) return;
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  const bool already = ruid == plan.uid && euid == plan.uid && suid == plan.uid &&
                       rgid == plan.gid && egid == plan.gid && sgid == plan.gid;
  if (already) return;
  const std::string who = "run_as_user " + plan.user + ": ";
  const std::string hint = " (switching users needs root or CAP_SETUID and CAP_SETGID)";
  if (::setgroups(plan.groups.size(), plan.groups.data()) != 0)
    throw std::runtime_error(errno_text(who + "setgroups") + hint);
  if (::setresgid(plan.gid, plan.gid, plan.gid) != 0)
    throw std::runtime_error(errno_text(who + "setresgid") + hint);
  if (::setresuid(plan.uid, plan.uid, plan.uid) != 0)
    throw std::runtime_error(errno_text(who + "setresuid") + hint);
  if (plan.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0))
    throw std::runtime_error(who + "root could be regained after the switch");
}

}  // namespace mtls::proxy::sandbox
