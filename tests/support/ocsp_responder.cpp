#include "tests/support/ocsp_responder.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"

extern char** environ;

namespace mtls::test {
namespace {

// index.txt dates: YYMMDDHHMMSSZ.
std::string index_time(std::time_t t) {
  char text[16];
  std::strftime(text, sizeof text, "%y%m%d%H%M%SZ", std::gmtime(&t));
  return text;
}

}  // namespace

OcspResponder::OcspResponder(const TestPki& pki, std::chrono::minutes validity)
    : pki_(pki),
      validity_(validity),
      dir_(pki.dir()),
      index_(pki.dir() + "/ocsp-index.txt"),
      ca_key_(pki.dir() + "/ocsp-ca.key") {
  certs::write_file(ca_key_, certs::to_pem(pki.ca().key()), 0600);
  certs::write_file(index_, "", 0644);
  start();
}

OcspResponder::~OcspResponder() { stop(); }

void OcspResponder::start() {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const std::string port = std::to_string(port_);  // 0 the first time: the kernel picks
  const std::string minutes = std::to_string(validity_.count());
  const std::string ca = pki_.ca_bundle();
  std::vector<std::string> args = {"openssl", "ocsp",     "-index", index_,  "-port",
                                   port,      "-rsigner", ca,       "-rkey", ca_key_,
                                   "-CA",     ca,         "-nmin",  minutes, "-ignore_err"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = posix_spawnp(&pid_, "openssl", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    pid_ = -1;
    throw std::runtime_error("cannot run openssl ocsp");
  }
  // It prints "ACCEPT [::]:PORT PID=N" once it listens.
  FILE* stream = ::fdopen(out[0], "r");
  char line[256] = "";
  const bool got = std::fgets(line, sizeof line, stream) != nullptr;
  std::fclose(stream);
  const std::string text = got ? line : "";
  const auto colon = text.rfind("]:");
  if (text.rfind("ACCEPT", 0) != 0 || colon == std::string::npos) {
    stop();
    throw std::runtime_error("openssl ocsp did not start: " + text);
  }
  port_ = std::uint16_t(std::stoi(text.substr(colon + 2)));
}

void OcspResponder::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void OcspResponder::set_status(const std::string& cert_file, bool revoked) {
  const certs::X509Ptr cert = std::move(certs::load_certificates(cert_file).front());
  const std::string serial = certs::serial_hex(cert.get());
  const std::time_t now = std::time(nullptr);
  const std::string expiry = index_time(now + 24 * 3600);
  index_lines_[serial] = std::string(revoked ? "R" : "V") + "\t" + expiry + "\t" +
                         (revoked ? index_time(now - 3600) : "") + "\t" + serial +
                         "\tunknown\t/CN=" + serial + "\n";
  std::string index;
  for (const auto& [s, line] : index_lines_) index += line;
  certs::write_file(index_, index, 0644);
  stop();
  start();
}

std::string OcspResponder::response_for(const std::string& cert_file) const {
  const std::string out = cert_file + ".ocsp";
  const std::string command = "openssl ocsp -issuer '" + pki_.ca_bundle() + "' -cert '" +
                              cert_file + "' -url " + url() + " -noverify -respout '" + out +
                              "' >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("openssl ocsp could not ask " + url() + " about " + cert_file);
  return certs::read_file(out);
}

}  // namespace mtls::test
