#pragma once
// The "hosts" of `mtls-sidecar demo --netns`: network namespaces a, b and x on a bridge that
// lives in a namespace of its own (br), addresses from 198.18.0.0/24 (RFC 2544 benchmarking
// range), names unique to this process. However the demo ends (return, exception, Ctrl-C,
// kill), the namespaces and the directories it was given go: a guardian process, forked before
// anything else, waits for this process to end and deletes them; every child is told to die
// with this process (PR_SET_PDEATHSIG). Linux only, root only. One thread drives it.

#include <sys/types.h>

#include <string>
#include <vector>

namespace mtls::proxy::demo {

struct NetnsHost {
  std::string ns;       // namespace name, e.g. mtls-demo-a-1234
  std::string address;  // its eth0 address on the bridge
};

class NetnsLab {
 public:
  // "" when this process can run the lab; otherwise why not, in a few words.
  static std::string missing_prerequisite();

  NetnsLab();   // forks the guardian, then creates the namespaces; throws on failure
  ~NetnsLab();  // kills the children it still has, then waits for the guardian's cleanup
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  void remove_at_exit(const std::string& dir);  // the guardian deletes it too

  const NetnsHost& a() const { return hosts_[0]; }
  const NetnsHost& b() const { return hosts_[1]; }
  const NetnsHost& x() const { return hosts_[2]; }
  const std::string& bridge_ns() const { return bridge_; }

  // Starts `argv` (argv[0] a path) in namespace `ns`, stdout and stderr to `log`.
  pid_t spawn(const std::string& ns, const std::vector<std::string>& argv, const std::string& log);
  bool running(pid_t pid);
  // Sends `sig` and reaps; returns the wait status.
  int stop(pid_t pid, int sig);

  static std::string find_tool(const std::string& name);  // "" if not found

 private:
  void ip(const std::vector<std::string>& args);

  std::string ip_;
  std::string bridge_;
  std::vector<NetnsHost> hosts_;
  std::vector<pid_t> children_;
  int guardian_fd_ = -1;  // write end; the guardian cleans up when it reads EOF
  pid_t guardian_ = -1;
};

// While alive, the calling thread's network namespace is `ns`: sockets it opens live there, and
// threads it starts are born there. The previous namespace comes back on destruction.
class InNetns {
 public:
  explicit InNetns(const std::string& ns);
  ~InNetns();
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;

 private:
  int previous_ = -1;
};

}  // namespace mtls::proxy::demo
