#pragma once
// Least privilege for `mtls-sidecar run` (README "Least privilege"): no new privileges, a
// Landlock filesystem sandbox where the kernel has one, and an optional switch to `run_as_user`.
//
// Order matters, and `run` follows it:
//   1. make_plan(config)      looks the user up and lists what must stay readable (needs /etc);
//   2. restrict_filesystem()  PR_SET_NO_NEW_PRIVS + Landlock, BEFORE any thread exists: both bind
//                             only the calling thread and the threads it creates afterwards, so
//                             applied later they would leave the workers and the loader thread
//                             (which reads certificates on reload) unrestricted;
//   3. Sidecar::start()       loads the identity and binds the ports inside the sandbox;
//   4. drop_privileges()      setgroups/setgid/setuid, after the ports are bound (glibc applies
//                             set*id to every thread of the process).
//   5. seccomp::install()     the system call allow-list (seccomp.hpp), last: on every thread.
// Not for tests that run sidecars in-process: the restrictions are permanent for the process.

#include <sys/types.h>

#include <string>
#include <vector>

#include "config/config.hpp"

namespace mtls::proxy::sandbox {

struct Plan {
  // Directories readable (files and listings beneath them) and single files readable after
  // restrict_filesystem(); nothing is writable. Absolute paths; those that do not exist are
  // skipped when the rules are made.
  std::vector<std::string> read_dirs;
  std::vector<std::string> read_files;
  // run_as_user, resolved; `user` empty: keep the current user.
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// What the configured identity source, trust files and name resolution need to read at run
// time. Throws std::runtime_error when run_as_user names no user of this system.
Plan make_plan(const config::Config& config);
// Whether make_plan() grants reading the process's own /proc/PID: only in sanitizer builds,
// whose runtime needs it; known at compile time.
bool plan_includes_own_proc();

struct Status {
  bool no_new_privs = false;
  int landlock_abi = 0;  // 0: the kernel has no Landlock (or it is disabled)
  bool landlock_enforced = false;
  std::string detail;  // one line for the log: what was restricted, or why not
};

// PR_SET_NO_NEW_PRIVS, then a Landlock ruleset that handles every filesystem right the kernel
// knows and grants only reading `plan`'s paths. A kernel without Landlock is not an error: the
// Status says so and the caller logs it. Throws only if no_new_privs cannot be set.
Status restrict_filesystem(const Plan& plan);

// Switches to plan.user (supplementary groups, group, user) and checks that root cannot be
// regained. No-op when plan.user is empty or is already who we are. Throws with the reason.
void drop_privileges(const Plan& plan);

}  // namespace mtls::proxy::sandbox
