#pragma once
// Where an AWS call goes and in which region it is signed, resolved as the AWS SDKs do. Pure
// functions of their arguments and the environment (resolve_region may read the shared config).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "certs/aws/environment.hpp"

namespace mtls::certs::aws {

struct AwsService {
  std::string signing_name;     // SigV4 scope: "acm-pca"
  std::string endpoint_prefix;  // host label: "acm-pca"
  std::string env_id;           // AWS_ENDPOINT_URL_<env_id>: "ACM_PCA"
};

inline const AwsService kAcm{"acm", "acm", "ACM"};
inline const AwsService kAcmPca{"acm-pca", "acm-pca", "ACM_PCA"};
inline const AwsService kKms{"kms", "kms", "KMS"};
inline const AwsService kSts{"sts", "sts", "STS"};

struct Url {
  std::string scheme;  // "https" or "http"
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 0;
  std::string path;  // "/" when none

  // The Host header: the port only when it is not the scheme's default, as SDKs sign it.
  std::string host_header() const;
};

// http(s)://host[:port][/path], nothing else (no user info, query or fragment). Throws
// std::invalid_argument with the text on anything else.
Url parse_url(std::string_view text);

struct ResolvedEndpoint {
  Url url;
  std::string source;  // "configured", "AWS_ENDPOINT_URL_ACM", "AWS_ENDPOINT_URL", "default"
};

// `configured` (the sidecar's own setting, e.g. acm.endpoint), else AWS_ENDPOINT_URL_<SERVICE>,
// else AWS_ENDPOINT_URL (both ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), else
// https://<prefix>.<region>.<partition suffix>. Throws std::invalid_argument on a malformed URL or
// a region that is not a DNS label ("us-east-1"), which would otherwise be spliced into the host.
ResolvedEndpoint resolve_endpoint(const AwsService& service, std::string_view configured,
                                  std::string_view region, const Environment& env);

struct ResolvedRegion {
  std::string region;
  std::string source;  // "configured", "AWS_REGION", "AWS_DEFAULT_REGION", "profile NAME"
};

// `configured`, else AWS_REGION, else AWS_DEFAULT_REGION, else `region` of the active profile in
// the shared config file; nullopt when none says (the caller reports it: no IMDS region lookup).
std::optional<ResolvedRegion> resolve_region(std::string_view configured, const Environment& env);

}  // namespace mtls::certs::aws
