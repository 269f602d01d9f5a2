#pragma once
// Helpers of the rotation_* integration tests: a directory laid out as a Kubernetes Secret
// volume, PEM material and CRLs made at test time, and a blocking TLS client that can offer a
// session ticket and reports the serial the server presented.

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "certs/local_ca.hpp"
#include "certs/openssl_ptr.hpp"

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

struct TlsClientOptions {
  std::uint16_t port = 0;
  std::string ca_file, cert_file, key_file;
  SSL_SESSION* session = nullptr;  // offered for resumption when set
  std::string send = "ping";       // the backend echoes it
  int max_version = 0;             // TLS1_2_VERSION to force TLS 1.2; 0: the highest
  bool close_notify = true;        // false: close the socket without close_notify (truncation)
};

struct TlsClientResult {
  bool handshake_ok = false;
  bool accepted = false;  // the echo came back: TLS 1.3 refusals arrive on the first read
  bool resumed = false;
  std::string server_serial;     // of the certificate the server presented (or resumed with)
  std::string server_issuer;     // its issuer, RFC 2253
  certs::SslSessionPtr session;  // resumable session (ticket) after the exchange, if any
  std::string error;
};
TlsClientResult tls_client(const TlsClientOptions& options);

// A TLS connection held open (options.send is not used): for tests of what happens to live
// connections. Blocking, 5 s socket timeouts.
class TlsConnection {
 public:
  explicit TlsConnection(const TlsClientOptions& options);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  bool handshake_ok() const { return handshake_ok_; }
  bool echo(const std::string& data);  // sends, true when the backend's echo came back whole
  // Waits up to `timeout` for the sidecar to end the connection (EOF, alert or reset).
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  certs::SslCtxPtr ctx_;
  certs::SslPtr ssl_;
  int fd_ = -1;
  bool handshake_ok_ = false;
};

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
