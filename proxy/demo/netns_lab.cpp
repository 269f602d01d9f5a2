#include "proxy/demo/netns_lab.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace mtls::proxy::demo {
namespace {

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

// fork + exec rather than posix_spawn: the child must ask to die with its parent before it
// execs, or a killed demo would leave sidecars running in namespaces nobody can name. Only
// async-signal-safe calls between fork and exec: the demo has threads by then.
pid_t start(const std::vector<std::string>& argv, int out_fd) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw sys_error("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    if (out_fd >= 0) {
      ::dup2(out_fd, 1);
      ::dup2(out_fd, 2);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// The guardian: reads the directories to remove until the demo's end closes the pipe, then
// deletes the namespaces and those directories. It ignores the signals that end the demo (a
// Ctrl-C reaches the whole process group).
[[noreturn]] void guard(int fd, const std::string& ip, const std::vector<std::string>& names) {
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  std::string text;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  for (const auto& name : names) wait_for(start({ip, "netns", "del", name}, null_fd));
  std::istringstream dirs(text);
  for (std::string dir; std::getline(dirs, dir);) {
    std::error_code ignored;
    if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
  }
  ::_exit(0);  // not exit(): the parent's atexit handlers and static objects are not ours
}

}  // namespace

std::string NetnsLab::find_tool(const std::string& name) {
  // The PATH only (the demo's refusal names it): a missing PATH gets the usual root one.
  const char* env = std::getenv("PATH");
  const std::string path =
      env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

std::string NetnsLab::missing_prerequisite() {
  if (::geteuid() != 0) return "needs root (it creates network namespaces)";
  std::string missing;
  for (const char* tool : {"ip", "tcpdump"})
    if (find_tool(tool).empty()) missing += std::string(missing.empty() ? "" : ", ") + tool;
  return missing.empty() ? "" : "needs " + missing + " on the PATH";
}

NetnsLab::NetnsLab() : ip_(find_tool("ip")) {
  const std::string tag = std::to_string(::getpid());
  bridge_ = "mtls-demo-br-" + tag;
  hosts_ = {{"mtls-demo-a-" + tag, "198.18.0.1"},
            {"mtls-demo-b-" + tag, "198.18.0.2"},
            {"mtls-demo-x-" + tag, "198.18.0.3"}};
  std::vector<std::string> names{bridge_};
  for (const auto& h : hosts_) names.push_back(h.ns);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw sys_error("pipe");
  guardian_ = ::fork();
  if (guardian_ < 0) throw sys_error("fork");
  if (guardian_ == 0) {
    ::close(fds[1]);
    guard(fds[0], ip_, names);
  }
  ::close(fds[0]);
  guardian_fd_ = fds[1];

  try {
    ip({"netns", "add", bridge_});
    ip({"-n", bridge_, "link", "add", "br0", "type", "bridge"});
    ip({"-n", bridge_, "link", "set", "br0", "up"});
    int i = 0;
    for (const auto& h : hosts_) {
      const std::string veth = "veth" + std::to_string(++i) + "-" + tag;
      const std::string port = "port" + std::to_string(i);
      ip({"netns", "add", h.ns});
      ip({"link", "add", veth, "netns", h.ns, "type", "veth", "peer", "name", port, "netns",
          bridge_});
      ip({"-n", h.ns, "link", "set", veth, "name", "eth0"});
      ip({"-n", h.ns, "addr", "add", h.address + "/24", "dev", "eth0"});
      ip({"-n", h.ns, "link", "set", "eth0", "up"});
      ip({"-n", h.ns, "link", "set", "lo", "up"});
      ip({"-n", bridge_, "link", "set", port, "master", "br0"});
      ip({"-n", bridge_, "link", "set", port, "up"});
    }
  } catch (...) {
    ::close(guardian_fd_);  // the destructor does not run for a throwing constructor
    wait_for(guardian_);
    throw;
  }
}

NetnsLab::~NetnsLab() {
  for (const pid_t pid : children_) {
    ::kill(pid, SIGKILL);
    wait_for(pid);
  }
  ::close(guardian_fd_);
  wait_for(guardian_);  // so that the namespaces are gone when the demo returns
}

void NetnsLab::remove_at_exit(const std::string& dir) {
  const std::string line = dir + "\n";
  if (::write(guardian_fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    throw sys_error("telling the cleanup process about " + dir);
}

void NetnsLab::ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{ip_};
  argv.insert(argv.end(), args.begin(), args.end());
  const int status = wait_for(start(argv, -1));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string command = "ip";
    for (const auto& a : args) command += " " + a;
    throw std::runtime_error(command + " failed");
  }
}

pid_t NetnsLab::spawn(const std::string& ns, const std::vector<std::string>& argv,
                      const std::string& log) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw sys_error(log);
  std::vector<std::string> full{ip_, "netns", "exec", ns};  // ip execs argv: same process
  full.insert(full.end(), argv.begin(), argv.end());
  pid_t pid = -1;
  try {
    pid = start(full, fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  children_.push_back(pid);
  return pid;
}

bool NetnsLab::running(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == 0) return true;
  std::erase(children_, pid);  // reaped: its pid may be reused, never signal it again
  return false;
}

int NetnsLab::stop(pid_t pid, int sig) {
  ::kill(pid, sig);
  const int status = wait_for(pid);
  std::erase(children_, pid);
  return status;
}

InNetns::InNetns(const std::string& ns) {
  previous_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (previous_ < 0) throw sys_error("/proc/thread-self/ns/net");
  const int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
    const auto error = sys_error("entering network namespace " + ns);
    if (fd >= 0) ::close(fd);
    ::close(previous_);
    throw error;
  }
  ::close(fd);
}

InNetns::~InNetns() {
  ::setns(previous_, CLONE_NEWNET);
  ::close(previous_);
}

}  // namespace mtls::proxy::demo
