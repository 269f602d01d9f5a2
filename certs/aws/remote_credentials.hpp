#pragma once
// The network links of the credential chain, after environment and shared files:
//   web identity  AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN -> STS AssumeRoleWithWebIdentity
//                 (Query protocol, unsigned, XML reply): EKS IRSA.
//   container     AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (169.254.170.2) or _FULL_URI, with
//                 AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE): ECS tasks, EKS Pod Identity.
//   IMDSv2        PUT /latest/api/token, then the instance role's credentials: EC2.
// Each blocks on its HttpClient: resolve the chain on the AWS worker thread, never the data path.

#include <chrono>
#include <optional>
#include <string>

#include "certs/aws/credentials.hpp"
#include "certs/aws/environment.hpp"
#include "certs/aws/http_client.hpp"

namespace mtls::certs::aws {

// "2026-12-07T10:30:00Z", with optional fractional seconds; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(const std::string& text);

class WebIdentityCredentials : public CredentialsProvider {
 public:
  WebIdentityCredentials(Environment env, HttpClient& http) : env_(std::move(env)), http_(http) {}
  std::optional<Credentials> load() override;
  std::string name() const override { return "web identity"; }

 private:
  Environment env_;
  HttpClient& http_;
};

class ContainerCredentials : public CredentialsProvider {
 public:
  ContainerCredentials(Environment env, HttpClient& http) : env_(std::move(env)), http_(http) {}
  std::optional<Credentials> load() override;
  std::string name() const override { return "container endpoint"; }

 private:
  Environment env_;
  HttpClient& http_;
};

// Skipped when AWS_EC2_METADATA_DISABLED=true. AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the
// address (AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 selects fd00:ec2::254). No IMDSv1 fallback.
// An unreachable service means "not on EC2": the link is skipped, after a 1 s timeout.
class ImdsCredentials : public CredentialsProvider {
 public:
  ImdsCredentials(Environment env, HttpClient& http) : env_(std::move(env)), http_(http) {}
  std::optional<Credentials> load() override;
  std::string name() const override { return "IMDSv2"; }

 private:
  Environment env_;
  HttpClient& http_;
};

// environment, shared files, web identity, container endpoint, IMDSv2: the AWS SDK order.
CredentialChain default_credential_chain(const Environment& env, HttpClient& http);

}  // namespace mtls::certs::aws
