#pragma once
// The typed configuration model of mtls-sidecar (DESIGN.md §5) and its loader.
// Plain structs: built once by load_file() on the control thread, then copied or read-only.
// Nothing here knows about sockets or OpenSSL.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mtls::config {

using Duration = std::chrono::milliseconds;

// "127.0.0.1:8080", "[::1]:9901", "orders.default.svc:8443". `host` keeps no brackets.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const;  // brackets IPv6 hosts again
  bool operator==(const HostPort&) const = default;
};

struct AdminConfig {
  HostPort listen{"127.0.0.1", 9901};  // an IP literal: bound as written, never resolved
  // A request must arrive within this, and a kept-alive connection idles at most this long.
  Duration idle_timeout = std::chrono::seconds(5);
  std::uint32_t max_connections = 32;  // concurrent admin connections; more are closed at accept
};

struct FileIdentity {
  std::string cert;  // PEM: leaf first, then intermediates
  std::string key;   // PEM: PKCS#8 (encrypted or not), SEC1 or PKCS#1
  std::string key_passphrase_file;
  std::string key_passphrase_env;
  // `key` is a KMS envelope (`mtls-sidecar kms-wrap`): its data key is unwrapped by KMS Decrypt
  // at every load, the private key exists only in memory. Excludes the passphrase keys.
  bool key_kms = false;
  Duration poll_interval = std::chrono::minutes(1);
  // A DER OCSP response for `cert`, stapled to our handshakes; read and watched with the pair.
  std::string ocsp_response;
  // Fetch the OCSP response from the responder named in the leaf's AIA extension (plain HTTP) at
  // every load, and reload at half its remaining validity. Excludes `ocsp_response`.
  bool ocsp_fetch = false;
};

struct LocalCaIdentity {
  std::string dir;  // holds ca.crt and ca.key, as written by `ca init`
  std::string spiffe_id;
  std::vector<std::string> dns_names;
  Duration ttl = std::chrono::hours(24);
  double renew_at = 2.0 / 3.0;      // re-issue at this fraction of ttl (±10 % jitter), 0.1..0.9
  std::string key_passphrase_file;  // for an encrypted ca.key
  std::string key_passphrase_env;
};

struct AcmIdentity {
  std::string certificate_arn;
  std::string region;
  std::string endpoint;  // empty: https://acm.<region>.amazonaws.com
  Duration refresh_interval = std::chrono::hours(1);
};

enum class IdentitySource { file, local_ca, acm };

struct IdentityConfig {
  IdentitySource source = IdentitySource::file;
  FileIdentity file;
  LocalCaIdentity local_ca;
  AcmIdentity acm;
};

// A CRL past its nextUpdate: refuse the peers of its CA (fail closed, as nginx and Envoy do),
// or warn and keep using it.
enum class CrlStale { refuse, warn };

// Peers' OCSP status: not looked at; checked when the peer staples a response (a missing one is
// accepted); or a good stapled response is required.
enum class OcspPolicy { off, stapled, require };

// The roots of one federated SPIFFE trust domain (`trust.domains`).
struct TrustDomainBundle {
  std::string domain;     // "partner.example"
  std::string ca_bundle;  // PEM roots that vouch for spiffe://partner.example/... only
};

struct TrustConfig {
  // Roots of the sidecar's own trust domain (that of its SPIFFE ID; every domain not listed in
  // `domains` when it has none). Empty with source local_ca: the local CA's certificate.
  std::string ca_bundle;
  std::vector<TrustDomainBundle> domains;  // in file order; each domain at most once
  std::string crl;
  CrlStale crl_stale = CrlStale::refuse;
  OcspPolicy ocsp = OcspPolicy::off;
  // ACM Private CA whose certificate (and chain) are added to ca_bundle's roots, fetched at every
  // load and again every acm_pca_refresh_interval. Empty: none.
  std::string acm_pca_arn;
  Duration acm_pca_refresh_interval = std::chrono::hours(1);
};

// Mozilla's server-side TLS profiles: modern is TLS 1.3 only; intermediate adds TLS 1.2 with
// ECDHE + AEAD ciphers.
enum class TlsProfile { intermediate, modern };

// Values are checked for syntax here; whether the OpenSSL in use supports them is checked by
// trying them on a scratch context (certs/tls_policy.hpp) in check-config and at start-up.
struct TlsConfig {
  TlsProfile profile = TlsProfile::intermediate;
  std::string min_version = "1.2";  // "1.2" | "1.3"; the profile's when not written
  std::string max_version = "1.3";  // "1.2" | "1.3"
  std::string cipher_suites;        // TLS 1.2 OpenSSL cipher list; empty: the profile's
  std::string tls13_cipher_suites;  // TLS 1.3 suites, ':'-separated, by preference; empty: ours
  std::vector<std::string> groups;  // key exchange groups by preference; empty: ours
  std::vector<std::string> signature_algorithms;  // empty: OpenSSL's defaults
  bool session_resumption = true;
  // A session resumes only until min(peer leaf notAfter, its full handshake + this); renewing a
  // ticket does not extend it. > 0.
  Duration session_max_age = std::chrono::hours(1);
};

// Who may connect (inbound `allow`) or who we accept as the server (outbound `expect`).
// Validation guarantees: `any` is true, or at least one list is non-empty.
struct PeerPolicy {
  bool any = false;
  std::vector<std::string> spiffe_ids;     // exact match on the single URI SAN
  std::vector<std::string> trust_domains;  // "demo.local": any spiffe://demo.local/... ID
  std::vector<std::string> dns_names;      // exact match on a DNS SAN (case-insensitive)
  std::vector<std::string> common_names;   // exact match on the subject CN
  // Outbound `expect` only: base64 SHA-256 digests of the server leaf's DER SubjectPublicKeyInfo.
  // Non-empty: the server must also present one of these keys, a second factor checked after the
  // chain and the identity above, never instead of them.
  std::vector<std::string> spki_sha256;
};

enum class Protocol { tcp, http };

// One rule of an inbound `allow.routes` (protocol: http): the peers it applies to and the
// requests it lets them send. With routes, a request passes when at least one rule matches it.
// Validation guarantees: `peers` is valid like `allow`, paths and prefixes are canonical request
// paths (config/http_path.hpp), and `paths` or `prefixes` is non-empty.
struct RouteRule {
  std::string name;                   // `name:`, else its field path "routes[2]"
  PeerPolicy peers;                   // which peers (among those `allow` admits) it applies to
  std::vector<std::string> paths;     // exact paths (the query is not part of a path)
  std::vector<std::string> prefixes;  // whole segments: "/api" matches /api and /api/x, not /apix
  std::vector<std::string> methods;   // uppercase method tokens; empty: every method
};

// What an inbound listener sends to `forward` before the client's bytes: nothing, or a PROXY
// protocol v2 header with the client's address and its TLS facts as TLVs.
enum class ProxyProtocol { off, v2 };

struct InboundListener {
  std::string name;
  HostPort listen;
  HostPort forward;
  Protocol protocol = Protocol::tcp;
  ProxyProtocol proxy_protocol = ProxyProtocol::off;
  PeerPolicy allow;
  std::vector<RouteRule> routes;  // `allow.routes`; empty: every request of an allowed peer
};

// One entry of an outbound `destinations:` map (`forward: original_dst`): the server expected at
// one original destination of a redirected connection.
struct OriginalDestination {
  HostPort match;           // an IP literal and port, compared with the original destination
  std::string server_name;  // SNI for it; empty: none
  PeerPolicy expect;        // validated like the listener's; absent: the listener's `expect`
};

struct OutboundListener {
  std::string name;
  HostPort listen;
  HostPort forward;  // empty when original_dst
  // `forward: original_dst`: each connection goes to the address it was redirected from
  // (iptables REDIRECT, read with SO_ORIGINAL_DST), with server_name/expect from `destinations`
  // or, for a destination not listed, the listener's own.
  bool original_dst = false;
  std::vector<OriginalDestination> destinations;
  std::string server_name;  // SNI; empty: forward.host when it is a name
  // Require server_name among the server certificate's DNS SANs (when server_name is set).
  bool verify_server_name = true;
  Protocol protocol = Protocol::tcp;
  PeerPolicy expect;
};

struct Limits {
  Duration handshake_timeout = std::chrono::seconds(10);
  Duration connect_timeout = std::chrono::seconds(5);
  Duration idle_timeout = std::chrono::hours(1);
  Duration drain_delay = std::chrono::seconds(5);
  Duration drain_timeout = std::chrono::seconds(30);
  std::uint32_t max_connections = 10000;           // per listener
  Duration max_connection_age = Duration::zero();  // 0: off; else close connections this old
};

// `http.pool`: idle upstream mTLS connections kept per worker and destination (outbound
// listener), so an app that opens a connection per request does not pay a handshake per request.
struct HttpPoolConfig {
  std::uint32_t max_idle_per_destination = 16;       // 0: no pooling (close after each exchange)
  std::uint32_t max_per_destination = 0;             // idle + in use; 0: no limit; beyond it: 503
  Duration idle_timeout = std::chrono::seconds(30);  // an idle connection is closed after this
};

// Headers an inbound HTTP listener sets from the verified peer certificate (each stripped from
// incoming requests first, like x-forwarded-client-cert). Empty: not set.
struct IdentityHeaders {
  std::string spiffe_id;  // the peer's SPIFFE ID (URI SAN)
  std::string dns_names;  // its DNS SANs, comma-separated
  std::string subject;    // its subject, RFC 2253
  std::string hash;       // hex SHA-256 of its leaf certificate (DER), as XFCC's Hash
};

// `http:`, for every listener with protocol: http. One section, not one per listener: a sidecar
// fronts one app, and the upstream pool it configures is shared by the outbound listeners.
struct HttpConfig {
  std::uint32_t max_header_bytes = 16 * 1024;  // request line + fields; more: 431
  std::uint64_t max_body_bytes = 0;            // per request body; 0: unlimited (streamed); 413
  // From a request's first byte until its head (request line and fields) is complete.
  Duration request_timeout = std::chrono::seconds(30);
  // A kept-alive connection waits at most this for its next request.
  Duration idle_timeout = std::chrono::hours(1);
  IdentityHeaders identity_headers;
  bool access_log = false;  // one JSON line per request
  HttpPoolConfig pool;
};

struct MetricsConfig {
  std::uint32_t max_peer_labels = 100;
};

// What `run` does to itself after start-up, beyond run_as_user (proxy/sidecar/seccomp.hpp).
struct SandboxConfig {
  bool seccomp = true;  // a syscall allow-list; off only to debug a denial or on odd kernels
};

// Where a field was written and, for paths, its text before it was resolved against the config's
// directory. Problems found after loading (a missing certificate, a key that does not match) are
// reported at the line that names the file, with the path as the user wrote it.
struct FieldOrigin {
  int line = 0;  // 1-based
  int column = 0;
  std::string written;  // paths only; empty for other fields
};

struct Config {
  std::string path;  // the file it was loaded from ("" when from a string)
  std::string name;  // FILE in messages: the path as given ("" when from a string)
  // By field path ("identity.file.key", "inbound[0].protocol"): every key of the file.
  std::map<std::string, FieldOrigin, std::less<>> origins;
  AdminConfig admin;
  unsigned workers = 0;  // 0 = one per usable CPU (affinity mask, cgroup v2 quota)
  IdentityConfig identity;
  TrustConfig trust;
  TlsConfig tls;
  std::vector<InboundListener> inbound;
  std::vector<OutboundListener> outbound;
  Limits limits;
  HttpConfig http;
  MetricsConfig metrics;
  // After start-up, switch to this user (name or numeric uid) and its groups; empty: stay.
  // Checked for syntax here; whether the user exists is checked at start-up (proxy/sandbox).
  std::string run_as_user;
  SandboxConfig sandbox;
};

// One problem in a config file, already formatted as
// "FILE:LINE:COL: field.path: message" (1-based line and column).
struct Issue {
  std::string file;
  int line = 0;
  int column = 0;
  std::string field;    // "inbound[0].allow"
  std::string message;  // "empty allow-list; set any: true to ..."
  std::string to_string() const;
};

// Thrown by the loaders with every issue found (not only the first).
class Error : public std::runtime_error {
 public:
  explicit Error(std::vector<Issue> issues);
  const std::vector<Issue>& issues() const { return issues_; }

 private:
  std::vector<Issue> issues_;
};

// Parses and validates. Relative file paths in the config (certs, keys, bundles, CA dir) are
// resolved against the directory of the config file, so a config and its files move together.
Config load_file(const std::string& path);
// `name` is used as FILE in messages; relative paths are resolved against `base_dir`.
Config load_string(std::string_view yaml, const std::string& name,
                   const std::string& base_dir = ".");

// A problem found after loading, reported like the loader's own: at `field` (or, when it is not
// written, the nearest map holding it), in the file as named on the command line.
Issue issue_at(const Config& config, std::string_view field, std::string message);
// `text` with every resolved path of `config` replaced by the path as written in the file.
std::string as_written(const Config& config, std::string text);

// Building blocks, also used by the CLI ("--ttl 24h").
// Durations: integer + unit, units ms, s, m, h, d ("250ms", "10s", "24h"); 0 needs no unit.
bool parse_duration(std::string_view text, Duration& out, std::string& why);
bool parse_host_port(std::string_view text, HostPort& out, std::string& why);

}  // namespace mtls::config
