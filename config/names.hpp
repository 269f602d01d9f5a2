#pragma once
// Syntax checks for the names a config holds (hosts, SPIFFE IDs, trust domains, listener names,
// environment variables, ACM ARNs). Each returns false with `why` naming the value and the rule.
// Internal to config/; pure functions, thread-safe.

#include <string>
#include <string_view>

namespace mtls::config::detail {

bool is_ipv4_literal(std::string_view host);
bool is_ipv6_literal(std::string_view host);  // without brackets; a %zone suffix is allowed
inline bool is_ip_literal(std::string_view host) {
  return is_ipv4_literal(host) || is_ipv6_literal(host);
}

// A DNS name: dot-separated labels of letters, digits, '-' and '_' (service names of Docker
// Compose have them), at most 63 bytes each and 253 in all. An all-numeric last label is
// taken as a mistyped IPv4 address.
bool check_host_name(std::string_view name, std::string& why);

bool check_listener_name(std::string_view name, std::string& why);   // it becomes a metric label
bool check_spiffe_id(std::string_view id, std::string& why);         // spiffe://domain/path
bool check_trust_domain(std::string_view domain, std::string& why);  // demo.local, no scheme
bool check_env_name(std::string_view name, std::string& why);
bool check_acm_arn(std::string_view arn, std::string& why);
// arn:PARTITION:acm-pca:REGION:ACCOUNT:certificate-authority/ID; the region is where it is called.
bool check_acm_pca_arn(std::string_view arn, std::string& why);
bool check_aws_region(std::string_view region, std::string& why);
bool check_endpoint_url(std::string_view url, std::string& why);
// A POSIX user name (letters, digits, '_', '.', '-'; not starting with '-'; at most 32 bytes; a
// trailing '$' as Samba machine accounts have) or a numeric uid.
bool check_user_name(std::string_view name, std::string& why);

}  // namespace mtls::config::detail
