// Syntax of the names a config holds. Checked at load so a typo fails `check-config` instead of
// becoming a listener that silently refuses every peer.

#include "config/names.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "config/quoted.hpp"

namespace mtls::config::detail {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// SPIFFE trust domain characters (SPIFFE ID spec §2.1): lowercase, so matching stays exact.
bool is_domain_char(char c) { return is_lower_alnum(c) || c == '.' || c == '-' || c == '_'; }
bool is_path_char(char c) { return is_alnum(c) || c == '.' || c == '-' || c == '_'; }

bool check_domain_chars(std::string_view domain, std::string_view subject, std::string& why) {
  for (char c : domain) {
    if (!is_domain_char(c)) {
      why = std::string(subject) +
            ": a trust domain may contain only lowercase letters, digits, "
            "'.', '-' and '_'";
      return false;
    }
  }
  return true;
}

}  // namespace

bool check_listener_name(std::string_view name, std::string& why) {
  for (char c : name) {
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-') {
      why = quoted(name) +
            " may contain only letters, digits, '_', '.' and '-' (it is a metric label)";
      return false;
    }
  }
  if (name.empty()) why = "must not be empty";
  return !name.empty();
}

bool check_spiffe_id(std::string_view id, std::string& why) {
  constexpr std::string_view kScheme = "spiffe://";
  if (!id.starts_with(kScheme)) {
    why = quoted(id) + " must start with spiffe://";
    return false;
  }
  if (id.size() > 2048) {
    why = "SPIFFE ID " + quoted(id.substr(0, 40)) + "... is longer than 2048 characters";
    return false;
  }
  const std::string_view rest = id.substr(kScheme.size());
  const std::string_view domain = rest.substr(0, rest.find('/'));
  if (domain.empty()) {
    why = quoted(id) + " has no trust domain";
    return false;
  }
  if (!check_domain_chars(domain, quoted(id), why)) return false;
  std::string_view path = rest.substr(domain.size());
  if (path.empty()) {
    why = quoted(id) + " has no path, like spiffe://" + std::string(domain) + "/ns/default/sa/web";
    return false;
  }
  while (!path.empty()) {
    path.remove_prefix(1);  // the '/'
    const std::string_view segment = path.substr(0, path.find('/'));
    if (segment.empty() || segment == "." || segment == "..") {
      why = quoted(id) + ": path segments must not be empty, '.' or '..'";
      return false;
    }
    for (char c : segment) {
      if (!is_path_char(c)) {
        why = quoted(id) + ": a path may contain only letters, digits, '.', '-', '_' and '/'";
        return false;
      }
    }
    path.remove_prefix(segment.size());
  }
  return true;
}

bool check_trust_domain(std::string_view domain, std::string& why) {
  if (domain.find("://") != std::string_view::npos) {
    why = quoted(domain) + ": a trust domain is a bare name like demo.local, without spiffe://";
    return false;
  }
  if (domain.find('/') != std::string_view::npos) {
    why = quoted(domain) + ": a trust domain has no path; list full IDs in spiffe_ids";
    return false;
  }
  if (domain.empty()) {
    why = "must not be empty";
    return false;
  }
  return check_domain_chars(domain, quoted(domain), why);
}

bool check_env_name(std::string_view name, std::string& why) {
  bool ok = !name.empty() && !(name.front() >= '0' && name.front() <= '9');
  for (char c : name) ok = ok && (is_alnum(c) || c == '_');
  if (!ok) why = quoted(name) + " is not an environment variable name (letters, digits, '_')";
  return ok;
}

bool check_user_name(std::string_view name, std::string& why) {
  bool digits = !name.empty();
  for (char c : name) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    if (name.size() <= 10 && std::stoull(std::string(name)) <= 0xfffffffeULL) return true;
    why = quoted(name) + " is not a valid uid (0..4294967294)";
    return false;
  }
  std::string_view body = name;
  if (!body.empty() && body.back() == '$') body.remove_suffix(1);
  bool ok = !body.empty() && name.size() <= 32 && body.front() != '-';
  for (char c : body) ok = ok && (is_alnum(c) || c == '_' || c == '.' || c == '-');
  if (!ok) {
    why =
        quoted(name) + " is not a user name (letters, digits, '_', '.', '-'; at most 32) or a uid";
  }
  return ok;
}

bool check_acm_arn(std::string_view arn, std::string& why) {
  // arn:PARTITION:acm:REGION:ACCOUNT:certificate/ID; partitions vary (aws, aws-cn, aws-us-gov).
  const std::size_t partition_end = arn.find(':', 4);
  if (!arn.starts_with("arn:") || partition_end == std::string_view::npos ||
      arn.substr(partition_end, 5) != ":acm:") {
    why =
        quoted(arn) + " is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)";
    return false;
  }
  return true;
}

bool check_acm_pca_arn(std::string_view arn, std::string& why) {
  // The region field is where GetCertificateAuthorityCertificate is sent, so it must be there.
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t colon = arn.find(':', start);
    parts.push_back(arn.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos || parts.size() == 6) break;
    start = colon + 1;
  }
  std::string region_why;
  if (parts.size() != 6 || parts[0] != "arn" || parts[2] != "acm-pca" ||
      !check_aws_region(parts[3], region_why) || !parts[5].starts_with("certificate-authority/") ||
      parts[5].size() == std::string_view("certificate-authority/").size()) {
    why = quoted(arn) +
          " is not an ACM Private CA ARN "
          "(arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID)";
    return false;
  }
  return true;
}

bool check_aws_region(std::string_view region, std::string& why) {
  bool ok = !region.empty();
  for (char c : region) ok = ok && (is_lower_alnum(c) || c == '-');
  if (!ok) why = quoted(region) + " is not an AWS region, like us-east-1";
  return ok;
}

bool check_endpoint_url(std::string_view url, std::string& why) {
  // http:// is for a local ACM stand-in in tests; the real service is https only.
  for (std::string_view scheme : {"https://", "http://"}) {
    if (url.starts_with(scheme) && url.size() > scheme.size()) return true;
  }
  why = quoted(url) + " must start with https:// (or http:// for a local test endpoint)";
  return false;
}

}  // namespace mtls::config::detail
