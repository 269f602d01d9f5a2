// The least-privilege steps of `run`, each in a forked child (the restrictions are permanent for
// the process that takes them): Landlock leaves exactly the planned paths readable and nothing
// writable, no_new_privs is set, run_as_user drops root for good.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>

#include "certs/pem.hpp"
#include "proxy/sidecar/sandbox.hpp"

namespace mtls::proxy {
namespace {

namespace fs = std::filesystem;

constexpr int kSkip = 77;

struct TempDir {
  TempDir() {
    std::string pattern = "/tmp/mtls-sandbox-XXXXXX";
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string file(const std::string& name, const std::string& text = "x") const {
    std::ofstream(path + "/" + name) << text;
    return path + "/" + name;
  }
  std::string path;
};

// Runs `child` in a forked process; its return value is the exit status (0 = all good).
int in_child(const std::function<int()>& child) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(child());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool can_open(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

TEST(Sandbox, LeavesOnlyThePlannedDirectoriesReadableAndNothingWritable) {
  TempDir allowed, other;
  const std::string cert = allowed.file("tls.crt");
  const std::string secret = other.file("secret");
  sandbox::Plan plan;
  plan.read_dirs = {allowed.path};
  const int rc = in_child([&] {
    const sandbox::Status s = sandbox::restrict_filesystem(plan);
    if (!s.landlock_enforced) return kSkip;
    int failures = 0;
    failures += !can_open(cert, O_RDONLY);                        // planned: readable
    failures += !can_open(allowed.path, O_RDONLY | O_DIRECTORY);  // and listable
    failures += can_open(cert, O_WRONLY);                         // but not writable
    failures += can_open(allowed.path + "/new", O_WRONLY | O_CREAT);
    failures += ::unlink(cert.c_str()) == 0;
    failures += can_open(secret, O_RDONLY);  // elsewhere: nothing
    failures += can_open("/etc/passwd", O_RDONLY);
    failures += can_open("/tmp/mtls-sandbox-escape", O_WRONLY | O_CREAT);
    failures += ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1;
    return failures;
  });
  if (rc == kSkip) GTEST_SKIP() << "this kernel has no Landlock";
  EXPECT_EQ(rc, 0) << "checks that failed inside the sandbox";
  EXPECT_FALSE(fs::exists("/tmp/mtls-sandbox-escape"));
}

TEST(Sandbox, KeepsReloadsWorkingAcrossAKubernetesStyleSymlinkSwap) {
  // A Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..2026_a; the kubelet swaps ..data to a
  // directory made after the sandbox was set up.
  TempDir mount;
  fs::create_directory(mount.path + "/..2026_a");
  std::ofstream(mount.path + "/..2026_a/tls.crt") << "old";
  fs::create_directory_symlink("..2026_a", mount.path + "/..data");
  fs::create_symlink("..data/tls.crt", mount.path + "/tls.crt");
  config::Config c;
  c.identity.file.cert = mount.path + "/tls.crt";
  const sandbox::Plan plan = sandbox::make_plan(c);
  int restricted[2], swapped[2];
  ASSERT_EQ(::pipe(restricted), 0);
  ASSERT_EQ(::pipe(swapped), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const char enforced = sandbox::restrict_filesystem(plan).landlock_enforced ? 'y' : 'n';
    if (::write(restricted[1], &enforced, 1) != 1 || enforced == 'n') ::_exit(kSkip);
    char go;
    if (::read(swapped[0], &go, 1) != 1) ::_exit(2);
    std::ifstream in(mount.path + "/tls.crt");
    std::string text;
    in >> text;
    ::_exit(text == "new" ? 0 : 1);
  }
  char enforced = 'n';
  ASSERT_EQ(::read(restricted[0], &enforced, 1), 1);
  fs::create_directory(mount.path + "/..2026_b");
  std::ofstream(mount.path + "/..2026_b/tls.crt") << "new";
  fs::create_directory_symlink("..2026_b", mount.path + "/..data_tmp");
  fs::rename(mount.path + "/..data_tmp", mount.path + "/..data");
  ASSERT_EQ(::write(swapped[1], "g", 1), 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  for (int fd : {restricted[0], restricted[1], swapped[0], swapped[1]}) ::close(fd);
  if (enforced == 'n') GTEST_SKIP() << "this kernel has no Landlock";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the swapped-in certificate was not readable";
}

TEST(Sandbox, PlansTheIdentityAndTrustDirectoriesAndTheResolverFiles) {
  config::Config c;
  c.identity.source = config::IdentitySource::file;
  c.identity.file.cert = "/etc/mtls/tls.crt";
  c.identity.file.key = "/etc/mtls/tls.key";
  c.trust.ca_bundle = "/etc/mtls-trust/ca.crt";
  const sandbox::Plan plan = sandbox::make_plan(c);
  // Its own /proc entry only in sanitizer builds (LeakSanitizer reads /proc/PID/task at exit).
  std::vector<std::string> own_proc;
  if (sandbox::plan_includes_own_proc()) own_proc = {"/proc/" + std::to_string(::getpid())};
  auto with_proc = [&](std::vector<std::string> dirs) {
    dirs.insert(dirs.end(), own_proc.begin(), own_proc.end());
    return dirs;
  };
  EXPECT_EQ(plan.read_dirs, with_proc({"/etc/mtls", "/etc/mtls-trust"}));
  EXPECT_NE(std::find(plan.read_files.begin(), plan.read_files.end(), "/etc/hosts"),
            plan.read_files.end());
  EXPECT_TRUE(plan.user.empty());

  c.identity.source = config::IdentitySource::local_ca;
  c.identity.local_ca.dir = "/var/lib/mtls/ca";
  c.trust.ca_bundle = "";
  EXPECT_EQ(sandbox::make_plan(c).read_dirs, with_proc({"/var/lib/mtls/ca"}));
}

// acm reads AWS_CA_BUNDLE when a request is verified and the (rotated) container token file at
// every credentials refresh, both after the sandbox closed.
TEST(Sandbox, PlansTheAwsFilesOfAnAcmIdentity) {
  config::Config c;
  c.identity.source = config::IdentitySource::acm;
  c.trust.ca_bundle = "/etc/mtls-trust/ca.crt";
  ::setenv("AWS_CA_BUNDLE", "/etc/aws-ca/bundle.pem", 1);
  ::setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
           "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token", 1);
  const sandbox::Plan plan = sandbox::make_plan(c);
  ::unsetenv("AWS_CA_BUNDLE");
  ::unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  for (const std::string dir :
       {"/etc/aws-ca", "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount",
        "/etc/mtls-trust"}) {
    EXPECT_NE(std::find(plan.read_dirs.begin(), plan.read_dirs.end(), dir), plan.read_dirs.end())
        << dir;
  }
}

// /proc/PID/environ holds the environment as the process started (key_passphrase_env's value):
// closed in release builds; sanitizer builds need their own /proc entry and keep it.
TEST(Sandbox, ClosesTheProcessOwnProcEntryOutsideSanitizerBuilds) {
  const int rc = in_child([] {
    config::Config c;
    c.identity.file.cert = "/etc/mtls/tls.crt";
    if (!sandbox::restrict_filesystem(sandbox::make_plan(c)).landlock_enforced) return kSkip;
    const bool expected = sandbox::plan_includes_own_proc();
    int failures = 0;
    failures += can_open("/proc/self/environ", O_RDONLY) != expected;
    failures += can_open("/proc/" + std::to_string(::getpid()) + "/status", O_RDONLY) != expected;
    failures += can_open("/proc/1/status", O_RDONLY);  // never another process's
    return failures;
  });
  if (rc == kSkip) GTEST_SKIP() << "this kernel has no Landlock";
  EXPECT_EQ(rc, 0) << "checks that failed inside the sandbox";
}

// `run` takes the passphrase out of the environment before any thread starts; reloads still
// find it.
TEST(Sandbox, TakesThePassphraseOutOfTheEnvironmentAndKeepsItForReloads) {
  ::setenv("MTLS_SANDBOX_TEST_PASS", "s3cret-pass", 1);
  char* value = std::getenv("MTLS_SANDBOX_TEST_PASS");
  certs::take_passphrase_env("MTLS_SANDBOX_TEST_PASS");
  EXPECT_EQ(std::getenv("MTLS_SANDBOX_TEST_PASS"), nullptr);
  EXPECT_EQ(value[0], '\0') << "the bytes in the environment block were not wiped";
  EXPECT_EQ(certs::read_passphrase("", "MTLS_SANDBOX_TEST_PASS"), "s3cret-pass");
  EXPECT_EQ(certs::read_passphrase("", "MTLS_SANDBOX_TEST_PASS"), "s3cret-pass");  // every reload
  certs::take_passphrase_env("MTLS_SANDBOX_TEST_UNSET");  // an unset variable: nothing to take
  EXPECT_THROW(certs::read_passphrase("", "MTLS_SANDBOX_TEST_UNSET"), std::runtime_error);
}

TEST(Sandbox, RefusesAnUnknownUserAndTakesABareUidAsItsOwnGroup) {
  config::Config c;
  c.run_as_user = "no-such-user-here";
  try {
    sandbox::make_plan(c);
    FAIL() << "an unknown user was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "run_as_user: no user named \"no-such-user-here\" on this system");
  }
  c.run_as_user = "4000001";
  const sandbox::Plan plan = sandbox::make_plan(c);
  EXPECT_EQ(plan.uid, 4000001u);
  EXPECT_EQ(plan.gid, 4000001u);
}

TEST(Sandbox, DropsRootForGoodWhenRunAsUserIsSet) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const passwd* nobody = ::getpwnam("nobody");
  if (!nobody) GTEST_SKIP() << "no user nobody";
  config::Config c;
  c.run_as_user = "nobody";
  const sandbox::Plan plan = sandbox::make_plan(c);
  const uid_t uid = nobody->pw_uid;
  EXPECT_EQ(in_child([&] {
              sandbox::drop_privileges(plan);
              uid_t r, e, s;
              ::getresuid(&r, &e, &s);
              const bool switched = r == uid && e == uid && s == uid && ::getgid() == plan.gid;
              return switched && ::setuid(0) != 0 &&
                             ::getgroups(0, nullptr) == int(plan.groups.size())
                         ? 0
                         : 1;
            }),
            0);
}

TEST(Sandbox, ExplainsWhyASwitchIsImpossibleWithoutPrivileges) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become someone else first";
  config::Config c;
  c.run_as_user = "nobody";
  sandbox::Plan nobody;
  try {
    nobody = sandbox::make_plan(c);
  } catch (const std::exception&) {
    GTEST_SKIP() << "no user nobody";
  }
  EXPECT_EQ(
      in_child([&] {
        if (::setresuid(1, 1, 1) != 0) return 2;  // daemon: not root, not nobody
        try {
          sandbox::drop_privileges(nobody);
          return 1;
        } catch (const std::runtime_error& e) {
          return std::string(e.what()).find("Operation not permitted") != std::string::npos ? 0 : 3;
        }
      }),
      0);
}

}  // namespace
}  // namespace mtls::proxy
