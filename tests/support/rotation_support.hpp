#pragma once
// Helpers of the rotation_* integration tests: a directory laid out as a Kubernetes Secret
// volume, PEM material and CRLs made at test time, and one echo exchange through tls_probe (the
// one blocking TLS client), which can offer a session and reports the server's serial.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "certs/local_ca.hpp"
#include "certs/openssl_ptr.hpp"
#include "proxy/demo/tls_probe.hpp"

namespace mtls::test {

// The kubelet's AtomicWriter layout: DIR/name -> ..data/name, ..data -> ..<timestamp>. publish()
// writes a new timestamped directory, points ..data_tmp at it and renames that over ..data (the
// one atomic step), then removes the previous directory.
class SecretVolume {
 public:
  explicit SecretVolume(std::string dir);
  void publish(const std::map<std::string, std::string>& files);
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
  std::string current_;  // "..2026_11_23_13_29_24.000000001"
  unsigned generation_ = 0;
};

struct IssuedPem {
  std::string cert;    // leaf only
  std::string key;     // PKCS#8
  std::string serial;  // uppercase hex, as certs::serial_hex and TlsContexts::serial_hex
};
IssuedPem issue_pem(const certs::LocalCa& ca, const std::string& spiffe_id,
                    const std::vector<std::string>& dns_names = {},
                    std::chrono::seconds ttl = std::chrono::hours(24),
                    std::chrono::seconds not_before_offset = std::chrono::seconds(0));

// A PEM CRL signed by `ca` revoking `serials` (hex), valid from now - 1 min until
// now + next_update (negative: already stale), with `ca`'s key identifier as its AKID.
std::string crl_pem(const certs::LocalCa& ca, const std::vector<std::string>& serials,
                    std::chrono::seconds next_update = std::chrono::hours(1));

// What the rotation tests send through tls_probe; the echo backend answers it byte for byte.
inline constexpr std::string_view kPing = "ping";
// One exchange: sends kPing and reads its echo (not until EOF); reply_size is set here.
proxy::ProbeResult ping(proxy::ProbeOptions options);
// The echo came back whole: the server admitted the client. (TLS 1.3 refuses a client after its
// handshake completed: the refusal arrives on the first read.)
inline bool accepted(const proxy::ProbeResult& r) { return r.reply == kPing; }

// Polls `done` every 5 ms until it is true or `timeout` passes; returns its last value.
template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace mtls::test
