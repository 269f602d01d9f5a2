#pragma once
// AWS Signature Version 4 (AWS4-HMAC-SHA256, header form) for the non-S3 services the sidecar calls
// (ACM, ACM-PCA, KMS, STS): paths are normalised and encoded once more than on the wire, no
// x-amz-content-sha256. The canonical_* functions are pure and exposed so tests and the fake AWS
// server can recompute each step. Signer is thread-safe: its only state is the key cache.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "certs/aws/credentials.hpp"
#include "certs/aws/crypto.hpp"

namespace mtls::certs::aws {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "POST"
  std::string path;    // as sent on the wire (already percent-encoded), without the query
  std::string query;   // the part after '?', as sent; empty when none
  Headers headers;     // in sending order, names in any case; Host must be among them
  std::string body;
};

struct SigningScope {
  std::string region;   // "us-east-1"
  std::string service;  // signing name: "acm", "acm-pca", "kms", "sts"
};

// Every intermediate step, so a mismatch can be shown where it starts.
struct SignedParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string authorization;  // the Authorization header value
};

// Every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex): SigV4's encoding, also right for
// form bodies (STS Query protocol).
std::string uri_encode(std::string_view text);

// "/a/./b/../c//" -> "/a/c/", then every byte but A-Z a-z 0-9 - . _ ~ and '/' as %XX. The input is
// not decoded first: a wire path "%20" becomes "%2520", the rule for every service but S3.
std::string canonical_uri(std::string_view path);
// Pairs split on '&' and the first '=', each side decoded then strictly re-encoded (so raw UTF-8
// and already-encoded input give the same result), sorted by name then value.
std::string canonical_query(std::string_view query);

struct CanonicalHeaders {
  std::string block;         // "name:value\n" per header, sorted by name
  std::string signed_names;  // "content-type;host;x-amz-date"
};
// Names lowercased; values trimmed with inner whitespace runs collapsed to one space; repeated
// headers (and the lines of a folded value) joined with ',' in order. Headers a proxy may rewrite
// (user-agent, expect, x-amzn-trace-id) and authorization are not signed.
CanonicalHeaders canonical_headers(const Headers& headers);

std::string canonical_request(const HttpRequest& request, std::string_view payload_hash);

// "20150830T123600Z" (UTC).
std::string amz_date(std::chrono::system_clock::time_point when);

// kSigning = HMAC chain over date, region, service, "aws4_request". Derived at most once per
// (day, region, service, secret); entries of earlier days are dropped (and wiped) when a new day's
// key is derived. The secret is held only as its SHA-256. Thread-safe.
class SigningKeyCache {
 public:
  SigningKeyCache() = default;
  SigningKeyCache(const SigningKeyCache&) = delete;
  SigningKeyCache& operator=(const SigningKeyCache&) = delete;
  ~SigningKeyCache();

  Digest key(std::string_view secret, std::string_view date, std::string_view region,
             std::string_view service);
  // How many keys were derived (not served from the cache); for tests.
  std::size_t derivations() const;

 private:
  using Key =
      std::tuple<std::string, std::string, std::string, Digest>;  // date region service H(secret)
  mutable std::mutex mutex_;
  std::map<Key, Digest> keys_;
  std::size_t derivations_ = 0;
};

Digest derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                          std::string_view service);

class Signer {
 public:
  // Signs `request` in place: sets X-Amz-Date to `now`, adds X-Amz-Security-Token (signed) when the
  // credentials carry a session token and the request has none, then sets Authorization. The
  // payload hash is SHA-256 of the body.
  SignedParts sign(HttpRequest& request, const Credentials& credentials, const SigningScope& scope,
                   std::chrono::system_clock::time_point now);

  SigningKeyCache& key_cache() { return keys_; }

 private:
  SigningKeyCache keys_;
};

}  // namespace mtls::certs::aws
