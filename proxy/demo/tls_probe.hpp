#pragma once
// A blocking, one-shot TLS (or plain) client for the demo, the tests and operators: connect,
// handshake, send, optionally half-close, read the reply until EOF. Records what a person
// debugging a refusal wants to see: the TLS version and cipher, the server's identity, and the
// alert the server sent. Independent of the data path (plain OpenSSL on a blocking socket).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

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
};

struct ProbeResult {
  bool connected = false;
  bool handshake_ok = false;
  std::string tls_version;  // "TLSv1.3"
  std::string cipher;
  std::string server_identity;  // PeerIdentity::display() of the server leaf
  std::string reply;            // every byte read until EOF, error or timeout
  bool eof = false;             // the reply ended with an orderly close
  std::string alert;            // alert received, e.g. "certificate required"
  std::string error;            // the failure, if any
  bool refused() const { return !handshake_ok || (reply.empty() && !alert.empty()); }
};

ProbeResult tls_probe(const ProbeOptions& options, std::string_view send);
// Plaintext: options.ca_file/cert/key/server_name are ignored; handshake_ok means "connected";
// a reply that is a bare TLS alert record (what a TLS server may answer a plaintext client) is
// decoded into `alert`.
ProbeResult plain_probe(const ProbeOptions& options, std::string_view send);

}  // namespace mtls::proxy
