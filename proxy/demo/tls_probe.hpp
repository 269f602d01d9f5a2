#pragma once
// The one blocking TLS (or plain) client, for the demo, the tests and operators: connect,
// handshake, send, optionally half-close, read the reply until EOF (or a given size). Records
// what a person debugging a refusal wants to see: the TLS version and cipher, the server's
// identity, serial and issuer, and the alert the server sent; offers a session and hands back
// the next one, for resumption tests. ProbeConnection keeps the connection open for later
// writes and reads. Independent of the data path (plain OpenSSL on a blocking socket).

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "certs/openssl_ptr.hpp"

namespace mtls::proxy {

struct ProbeOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string ca_file;              // verify the server against it; empty: no verification
  std::string cert_file, key_file;  // client certificate; empty: none
  std::string server_name;          // SNI; empty: none
  int min_version = 0;              // TLS1_2_VERSION etc.; 0: OpenSSL default
  int max_version = 0;
  bool half_close = false;  // shut down writing after `send` (FIN / close_notify)
  std::chrono::milliseconds timeout{5000};
  SSL_SESSION* session = nullptr;  // offered for resumption when set (not taken)
  std::size_t reply_size = 0;      // stop reading once this many bytes arrived; 0: until the end
  bool close_notify = true;        // false: leave with a bare FIN (a truncated stream)
  bool ocsp_status = false;        // ask the server to staple its OCSP response
};

struct ProbeResult {
  bool connected = false;
  bool handshake_ok = false;
  bool resumed = false;     // the offered session was resumed
  std::string tls_version;  // "TLSv1.3"
  std::string cipher;
  std::string server_identity;           // PeerIdentity::display() of the server leaf
  std::string server_serial;             // of the leaf the server presented (or resumed with), hex
  std::string server_issuer;             // its issuer, RFC 2253
  std::string reply;                     // every byte read until EOF, error, timeout or reply_size
  bool eof = false;                      // the reply ended with an orderly close
  std::string alert;                     // alert received, e.g. "certificate required"
  std::string error;                     // the failure, if any
  std::shared_ptr<SSL_SESSION> session;  // resumable session after the exchange (TLS 1.3: ticket)
  std::string ocsp_response;             // DER the server stapled (asked with ocsp_status)
  bool refused() const { return !handshake_ok || (reply.empty() && !alert.empty()); }
};

ProbeResult tls_probe(const ProbeOptions& options, std::string_view send);
// Plaintext: options.ca_file/cert/key/server_name are ignored; handshake_ok means "connected";
// a reply that is a bare TLS alert record (what a TLS server may answer a plaintext client) is
// decoded into `alert`.
ProbeResult plain_probe(const ProbeOptions& options, std::string_view send);

// A TLS connection held open: connects and handshakes in the constructor (result() says how it
// went), then writes and reads when the caller says, for tests of what happens to live
// connections. Reads wait at most options.timeout each.
class ProbeConnection {
 public:
  explicit ProbeConnection(const ProbeOptions& options);
  ~ProbeConnection();  // leaves with close_notify unless options.close_notify is false
  ProbeConnection(const ProbeConnection&) = delete;
  ProbeConnection& operator=(const ProbeConnection&) = delete;

  bool handshake_ok() const { return result_.handshake_ok; }
  const ProbeResult& result() const { return result_; }
  bool send(std::string_view data);  // false on failure (result().error says why)
  // Reads until `n` bytes arrived or the connection ended, failed or timed out; appends them to
  // result().reply too.
  std::string read(std::size_t n);
  bool echo(std::string_view data) { return send(data) && read(data.size()) == data; }
  // Waits up to `timeout` for the server to end the connection (EOF, alert or reset).
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  friend ProbeResult tls_probe(const ProbeOptions& options, std::string_view send);
  void read_to_end();
  void leave();

  ProbeOptions options_;
  ProbeResult result_;
  certs::SslCtxPtr ctx_;
  certs::SslPtr ssl_;
  int fd_ = -1;
  bool left_ = false;
};

}  // namespace mtls::proxy
