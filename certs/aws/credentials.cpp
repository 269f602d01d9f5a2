#include "certs/aws/credentials.hpp"

#include "certs/aws/shared_config.hpp"

namespace mtls::certs::aws {
namespace {

std::string get(const IniSection& section, const std::string& key) {
  auto it = section.find(key);
  return it == section.end() ? "" : it->second;
}

std::optional<Credentials> keys_of(const IniSection& section, const std::string& where) {
  const std::string id = get(section, "aws_access_key_id");
  const std::string secret = get(section, "aws_secret_access_key");
  if (id.empty() && secret.empty()) return std::nullopt;
  if (id.empty() || secret.empty()) {
    throw CredentialsError(
        where + " has " + (id.empty() ? "aws_secret_access_key" : "aws_access_key_id") +
        " but not " + (id.empty() ? "aws_access_key_id" : "aws_secret_access_key"));
  }
  return Credentials{id, secret, get(section, "aws_session_token"), std::nullopt, where};
}

}  // namespace

std::optional<Credentials> EnvironmentCredentials::load() {
  auto id = env_("AWS_ACCESS_KEY_ID");
  auto secret = env_("AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) return std::nullopt;
  if (!id || !secret) {
    throw CredentialsError(std::string("AWS_") + (id ? "ACCESS_KEY_ID" : "SECRET_ACCESS_KEY") +
                           " is set but AWS_" + (id ? "SECRET_ACCESS_KEY" : "ACCESS_KEY_ID") +
                           " is not");
  }
  return Credentials{*id, *secret, env_("AWS_SESSION_TOKEN").value_or(""), std::nullopt,
                     "environment"};
}

std::optional<Credentials> ProfileCredentials::load() {
  SharedProfile profile;
  try {
    profile = load_shared_profile(env_);
  } catch (const std::runtime_error& e) {
    throw CredentialsError(e.what());
  }
  if (!profile.found) {
    if (!profile.explicitly_named) return std::nullopt;
    throw CredentialsError("AWS_PROFILE=" + profile.name + ": no such profile in " +
                           profile.credentials_file + " or " + profile.config_file);
  }
  const std::string where = "profile " + profile.name;
  if (auto c = keys_of(profile.credentials, where + " (" + profile.credentials_file + ")"))
    return c;
  if (auto c = keys_of(profile.config, where + " (" + profile.config_file + ")")) return c;
  for (const char* key : {"role_arn", "credential_process", "sso_session", "sso_start_url",
                          "web_identity_token_file"}) {
    if (profile.config.count(key) || profile.credentials.count(key)) {
      throw CredentialsError(where + " uses " + key +
                             ", which mtls-sidecar does not support: give it static keys, or use "
                             "AWS_WEB_IDENTITY_TOKEN_FILE / the container or instance role");
    }
  }
  // A profile with only settings (region, endpoint_url) leaves credentials to the next links.
  return std::nullopt;
}

Credentials CredentialChain::resolve() {
  std::string tried;
  for (const auto& link : links_) {
    std::optional<Credentials> c;
    try {
      c = link->load();
    } catch (const CredentialsError& e) {
      throw CredentialsError("AWS credentials from " + link->name() + ": " + e.what());
    }
    if (c) {
      if (c->source.empty()) c->source = link->name();
      return *c;
    }
    tried += (tried.empty() ? "" : ", ") + link->name();
  }
  throw CredentialsError("no AWS credentials found (tried " + (tried.empty() ? "nothing" : tried) +
                         ")");
}

Credentials CachedCredentials::get(std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (!current_ || (current_->expiration && *current_->expiration - refresh_before_ <= now)) {
    try {
      current_ = chain_.resolve();
    } catch (const std::runtime_error&) {
      // A failed early refresh keeps the credentials we have until they really expire.
      if (!current_ || !current_->expiration || *current_->expiration <= now) throw;
    }
  }
  return *current_;
}

void CachedCredentials::invalidate() {
  std::lock_guard lock(mutex_);
  current_.reset();
}

}  // namespace mtls::certs::aws
