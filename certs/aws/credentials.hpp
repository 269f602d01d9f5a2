#pragma once
// AWS credentials and the chain that finds them, in the AWS SDK order: environment, shared files
// (credentials, then config), web identity, container endpoint, IMDSv2. The network links live in
// remote_credentials.hpp; this file has the value, the link interface, the local links, the chain
// and the cache that refreshes before expiry.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "certs/aws/environment.hpp"

namespace mtls::certs::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys; sent as X-Amz-Security-Token
  // Temporary credentials expire; long-term keys (env, credentials file) have none.
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  // which link produced them ("environment", "profile default"), for logs

  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
};

// A link that is configured but broken (half the keys set, a profile that names no keys, an STS
// error): the chain stops there rather than falling through to another identity, as the SDKs do.
class CredentialsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // nullopt: this link is not configured here, try the next. Throws CredentialsError when it is
  // configured but cannot produce credentials. May block (network links): call off the data path.
  virtual std::optional<Credentials> load() = 0;
  virtual std::string name() const = 0;
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
class EnvironmentCredentials : public CredentialsProvider {
 public:
  explicit EnvironmentCredentials(Environment env) : env_(std::move(env)) {}
  std::optional<Credentials> load() override;
  std::string name() const override { return "environment"; }

 private:
  Environment env_;
};

// aws_access_key_id / aws_secret_access_key / aws_session_token of profile AWS_PROFILE (else
// "default"), from the credentials file first, then the config file. A profile that relies on
// what we do not implement (role_arn, credential_process, sso_*) is an error, not a fall-through.
class ProfileCredentials : public CredentialsProvider {
 public:
  explicit ProfileCredentials(Environment env) : env_(std::move(env)) {}
  std::optional<Credentials> load() override;
  std::string name() const override { return "shared files"; }

 private:
  Environment env_;
};

// The first link that yields credentials wins. Thread-compatible (use CachedCredentials to share).
class CredentialChain {
 public:
  explicit CredentialChain(std::vector<std::unique_ptr<CredentialsProvider>> links)
      : links_(std::move(links)) {}
  // Throws CredentialsError naming every link tried when none has credentials.
  Credentials resolve();

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> links_;
};

// Holds the chain's last result and resolves again when it comes within `refresh_before` of its
// expiry (temporary credentials are renewed by their source ahead of time: ECS and IMDS at least
// 5 minutes before); if that early refresh fails, the current ones serve until they expire.
// Long-term credentials are kept until invalidate(). Thread-safe; a refresh
// blocks the callers of get(): run it on the AWS worker, never on a data-path thread.
class CachedCredentials {
 public:
  explicit CachedCredentials(CredentialChain chain,
                             std::chrono::seconds refresh_before = std::chrono::minutes(5))
      : chain_(std::move(chain)), refresh_before_(refresh_before) {}
  Credentials get(std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
  // After an authentication error from AWS (expired or revoked keys): resolve on the next get().
  void invalidate();

 private:
  std::mutex mutex_;
  CredentialChain chain_;
  std::chrono::seconds refresh_before_;
  std::optional<Credentials> current_;
};

}  // namespace mtls::certs::aws
