#include "proxy/sidecar/seccomp.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "metrics/seccomp_denials.hpp"
#include "proxy/sidecar/sandbox.hpp"

namespace mtls::proxy::seccomp {
namespace {

// THE ALLOW-LIST: every system call a running sidecar was seen to make after start-up (the point
// where install() is called) by any of its threads: the workers (Asio's epoll reactor, TLS,
// relaying in TCP and HTTP mode, upstream connects), the control thread (signals, the admin
// server, drain), the loader thread (SIGHUP and file-watch reloads, local_ca renewal, PKCS#11
// signing and token reads by SoftHSM2), the `forward` name lookups, and the exit path after
// SIGTERM. How it was measured (README "Least privilege" has the commands): the e2e scenarios
// (contract check, pkcs11_sandbox, http_websocket, least_privilege, readme_pair, soak with its
// local_ca and symlink-swap rotations, seccomp_run) with `run` under `strace -f -tt`, keeping the
// calls entered after the filter went in (scripts/seccomp_trace.sh); then the integration tests
// of the acm source, ACM-PCA trust, OCSP and local_ca renewal under `strace -f -k` (stack
// traces), for what the loader thread's remote reloads add (ReloadTriggers::on_remote, and
// BeastHttpClient::send with its resolver thread, which OCSP fetching shares). Calls made only
// before install() (execve, Landlock, set*id, bind and listen of the listeners, dlopen of engines
// and NSS modules, inotify_init1, and the netlink query of getaddrinfo's AI_ADDRCONFIG, whose
// answer glibc caches) are not allowed.
//
// Measured on x86_64; kNewerSpelling covers architectures without some of these calls.
// clang-format off
constexpr const char* kAllowed[] = {
    // memory: glibc malloc (brk for its main arena, mremap for large reallocs), thread stacks
    "mmap", "munmap", "mprotect", "madvise", "brk", "mremap",
    // threads: clone for new threads only (rule below; clone3 fails with ENOSYS, see there)
    "clone", "futex", "set_robust_list", "rseq", "exit", "exit_group", "getpid", "gettid",
    "sched_yield",
    // Asio's reactor: epoll, its timer and its interrupter, a poll after a non-blocking connect
    "epoll_wait", "epoll_ctl", "timerfd_settime", "pipe2", "poll",
    // the HTTP client of the acm source, KMS, ACM-PCA and OCSP fetching runs each request on an
    // io_context of its own (certs/aws/beast_http_client.cpp): a reactor made per request
    "epoll_create1", "eventfd2", "timerfd_create",
    // and resolves its host on a new thread, whose first lookup sets up glibc's resolver state:
    // gethostname, which is uname
    "uname",
    // sockets: families restricted below; ioctl only FIONBIO (Asio's non-blocking mode)
    "socket", "connect", "accept", "setsockopt", "getsockopt", "getsockname", "getpeername",
    "shutdown", "sendto", "recvfrom", "sendmsg", "recvmsg", "ioctl",
    // `forward` name lookups while running (every 5 s): glibc's resolver sends the A and AAAA
    // queries with one sendmmsg and rewinds /etc/hosts with lseek
    "sendmmsg", "lseek",
    // files (Landlock decides which open): reloads read certificates, keys, CRLs and the CA;
    // readlink and getcwd resolve the Kubernetes-style symlinks; fcntl locks SoftHSM2's token
    "read", "write", "close", "openat", "newfstatat", "fcntl", "getcwd", "readlink",
    "inotify_add_watch",
    // signals: Asio's signal_set, sigprocmask around thread creation, the SIGSYS handler's return
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "tgkill",
    // Not reached by the measured runs, allowed because their callers are known: OpenSSL reseeds
    // its random generator from getrandom (every 7 hours); clock_gettime and gettimeofday are
    // system calls when the clock source has no vDSO; sleeps of the retry back-offs.
    "getrandom", "clock_gettime", "gettimeofday", "clock_nanosleep", "nanosleep",
};
// clang-format on

// Where a call of the list does not exist (arm64 has no epoll_wait, poll or readlink), glibc
// makes the newer call instead; it is allowed in its place, and only there.
constexpr const char* kNewerSpelling[][2] = {
    {"epoll_wait", "epoll_pwait"}, {"poll", "ppoll"}, {"readlink", "readlinkat"}};

// Sanitizer runtimes make calls of their own, measured the same way on the ASan+UBSan and TSan
// builds (fstat, gettimeofday, nanosleep, sigaltstack, sched_getaffinity, prctl) plus what
// LeakSanitizer's exit-time scan does where strace cannot follow it (a CLONE_UNTRACED tracer
// task that ptraces every thread, lists /proc/self/task and waits for them: sanitizer_common's
// stoptheworld_linux_libcdep.cpp). Only in those builds, so release keeps ptrace out. Also only
// there: clone without CLONE_THREAD (that tracer) and ioctl of any request.
// clang-format off
constexpr const char* kSanitizerAllowed[] = {
    "fstat", "sigaltstack", "sched_getaffinity", "prctl", "ptrace", "wait4", "getppid",
    "getdents64",
};
// clang-format on

bool sanitizer_build() { return sandbox::plan_includes_own_proc(); }

// Syscall names by number, filled before the filter goes in, so that the SIGSYS handler names a
// call without allocating or calling into libseccomp (neither is async-signal-safe).
constexpr int kNames = 512;
constexpr std::size_t kNameLength = 24;
char g_names[kNames][kNameLength];

void fill_names() {
  for (int nr = 0; nr < kNames; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (!name) continue;
    std::strncpy(g_names[nr], name, kNameLength - 1);
    std::free(name);
  }
}

// Appends `text` to buf at `len` (bounded), async-signal-safe.
void put(char* buf, std::size_t& len, std::size_t cap, const char* text) {
  while (*text && len < cap) buf[len++] = *text++;
}
void put_number(char* buf, std::size_t& len, std::size_t cap, long long value, int width = 0) {
  char digits[24];
  int n = 0;
  const bool negative = value < 0;
  unsigned long long v = negative ? 0ULL - static_cast<unsigned long long>(value)
                                  : static_cast<unsigned long long>(value);
  do {
    digits[n++] = char('0' + v % 10);
    v /= 10;
  } while (v && n < 23);
  while (n < width && n < 23) digits[n++] = '0';
  if (negative && len < cap) buf[len++] = '-';
  while (n > 0 && len < cap) buf[len++] = digits[--n];
}

// The log's timestamp ("2026-11-23T13:29:24.123Z"), from clock_gettime alone: gmtime_r may take
// a lock. Days to a civil date: Howard Hinnant's algorithm.
void put_timestamp(char* buf, std::size_t& len, std::size_t cap) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const long long days = now.tv_sec / 86400;
  const long long secs = now.tv_sec % 86400;
  const long long z = days + 719468;
  const long long era = z / 146097;
  const long long doe = z - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long long mp = (5 * doy + 2) / 153;
  const long long day = doy - (153 * mp + 2) / 5 + 1;
  const long long month = mp < 10 ? mp + 3 : mp - 9;
  const long long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  put_number(buf, len, cap, year, 4);
  put(buf, len, cap, "-");
  put_number(buf, len, cap, month, 2);
  put(buf, len, cap, "-");
  put_number(buf, len, cap, day, 2);
  put(buf, len, cap, "T");
  put_number(buf, len, cap, secs / 3600, 2);
  put(buf, len, cap, ":");
  put_number(buf, len, cap, secs / 60 % 60, 2);
  put(buf, len, cap, ":");
  put_number(buf, len, cap, secs % 60, 2);
  put(buf, len, cap, ".");
  put_number(buf, len, cap, now.tv_nsec / 1000000, 3);
  put(buf, len, cap, "Z");
}

// si_code of a SIGSYS raised by a seccomp filter (the kernel's SYS_SECCOMP, which glibc's
// headers do not always expose).
constexpr int kSysSeccomp = 1;

// SIGSYS from the filter (SCMP_ACT_TRAP): one log line, the count, and EPERM as the call's
// result, written into the saved return register so the interrupted code sees a failed call.
void on_sigsys(int, siginfo_t* info, void* context) {
  if (info->si_code != kSysSeccomp) return;
  const int saved_errno = errno;
  const int nr = info->si_syscall;
  char line[256];
  std::size_t len = 0;
  const std::size_t cap = sizeof line - 1;
  put_timestamp(line, len, cap);
  put(line, len, cap, " error seccomp: denied system call ");
  put_number(line, len, cap, nr);
  if (nr >= 0 && nr < kNames && g_names[nr][0]) {
    put(line, len, cap, " (");
    put(line, len, cap, g_names[nr]);
    put(line, len, cap, ")");
  }
  put(line, len, cap,
      "; it fails with EPERM. Not on the allow-list (proxy/sidecar/seccomp.cpp): please report "
      "it; sandbox.seccomp: false turns the filter off");
  line[len++] = '\n';
  ssize_t ignored = ::write(STDERR_FILENO, line, len);
  (void)ignored;
  metrics::seccomp_denied.fetch_add(1, std::memory_order_relaxed);
  auto* uc = static_cast<ucontext_t*>(context);
#if defined(__x86_64__)
  uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
  uc->uc_mcontext.regs[0] = static_cast<unsigned long long>(-EPERM);
#else
#error "seccomp.cpp: set the syscall return register for this architecture"
#endif
  errno = saved_errno;
}

struct ContextFree {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextFree>;

void check(int rc, const std::string& what) {
  if (rc < 0) throw std::runtime_error("seccomp: " + what + ": " + std::strerror(-rc));
}

// Adds `name` unconditionally; false when this architecture has no such call.
bool allow(scmp_filter_ctx ctx, const char* name) {
  const int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return false;
  // Calls restricted by argument get their own rules in add_argument_rules.
  check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0), std::string("allow ") + name);
  return true;
}

// Cheap argument checks on the calls that could widen what the process can reach:
//   socket: only the families `run` uses (IPv4, IPv6; AF_UNIX, where glibc's lookups ask nscd
//           first, and AF_NETLINK, getaddrinfo's AI_ADDRCONFIG); no packet or other families;
//   clone:  threads only (CLONE_THREAD): no new process; clone3 passes its flags in memory a
//           filter cannot read, so it fails with ENOSYS and glibc uses clone;
//   ioctl:  FIONBIO only, Asio's non-blocking switch (no terminal, route or interface ioctls);
//   tgkill: only threads of this process (raise, abort).
void add_argument_rules(scmp_filter_ctx ctx, bool sanitizers) {
  for (int family : {AF_INET, AF_INET6, AF_UNIX, AF_NETLINK})
    check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                           SCMP_A0(SCMP_CMP_EQ, scmp_datum_t(family))),
          "socket rule");
  if (sanitizers) {
    // LeakSanitizer's tracer is a clone without CLONE_THREAD.
    check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 0), "clone rule");
  } else {
    check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)),
          "clone rule");
  }
  check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0), "clone3 rule");
  if (sanitizers) {
    check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 0), "ioctl rule");
  } else {
    check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                           SCMP_A1(SCMP_CMP_EQ, scmp_datum_t(FIONBIO))),
          "ioctl rule");
  }
  check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                         SCMP_A0(SCMP_CMP_EQ, scmp_datum_t(::getpid()))),
        "tgkill rule");
}

bool restricted_by_argument(const char* name) {
  for (const char* r : {"socket", "clone", "ioctl", "tgkill"})
    if (std::strcmp(r, name) == 0) return true;
  return false;
}

}  // namespace

bool available(std::string& why) {
  // Asks whether the kernel has seccomp filters and can trap; ENOSYS/EINVAL: built without.
  std::uint32_t action = SECCOMP_RET_TRAP;
  if (::syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0) return true;
  why = errno == ENOSYS   ? "the kernel has no seccomp"
        : errno == EINVAL ? "the kernel has no seccomp filters (CONFIG_SECCOMP_FILTER)"
                          : std::strerror(errno);
  return false;
}

Status install() {
  Status status;
  std::string why;
  if (!available(why)) {
    status.detail = "seccomp: not available (" + why + "); system calls are not restricted";
    return status;
  }
  fill_names();
  struct sigaction sa {};
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (::sigaction(SIGSYS, &sa, nullptr) != 0)
    throw std::runtime_error(std::string("seccomp: SIGSYS handler: ") + std::strerror(errno));

  const Context ctx(seccomp_init(SCMP_ACT_TRAP));
  if (!ctx) throw std::runtime_error("seccomp: seccomp_init failed");
  // Every thread, or none: a worker left outside the filter would defeat it.
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1), "TSYNC");
  const bool sanitizers = sanitizer_build();
  for (const char* name : kAllowed) {
    if (restricted_by_argument(name)) {
      ++status.allowed;
      continue;
    }
    if (allow(ctx.get(), name)) {
      ++status.allowed;
      continue;
    }
    for (const auto& [old_name, newer] : kNewerSpelling)
      if (std::strcmp(old_name, name) == 0 && allow(ctx.get(), newer)) ++status.allowed;
  }
  if (sanitizers)
    for (const char* name : kSanitizerAllowed)
      if (allow(ctx.get(), name)) ++status.allowed;
  add_argument_rules(ctx.get(), sanitizers);
  const int rc = seccomp_load(ctx.get());
  if (rc < 0)
    throw std::runtime_error(
        std::string("seccomp: the filter could not be loaded on every thread (") +
        std::strerror(-rc) + "); set sandbox.seccomp: false to run without it");
  status.installed = true;
  status.detail = "seccomp: " + std::to_string(status.allowed) +
                  " system calls allowed on every thread (socket: inet, inet6, unix, netlink; " +
                  (sanitizers ? "sanitizer build: its runtime's calls added, clone and ioctl open"
                              : "clone: threads only; ioctl: FIONBIO") +
                  "); any other call fails with EPERM and is logged";
  return status;
}

}  // namespace mtls::proxy::seccomp
