#pragma once
// AWS credentials as SigV4 uses them. The provider chain that finds them is in credential_chain.hpp.

#include <chrono>
#include <optional>
#include <string>

namespace mtls::certs::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys; sent as X-Amz-Security-Token
  // Temporary credentials expire; long-term keys (env, credentials file) have none.
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  // which link of the chain produced them ("env", "profile default"), for logs

  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
};

}  // namespace mtls::certs::aws
