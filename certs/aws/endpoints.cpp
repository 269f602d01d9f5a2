#include "certs/aws/endpoints.hpp"

#include <charconv>
#include <stdexcept>

#include "certs/aws/shared_config.hpp"

namespace mtls::certs::aws {
namespace {

bool is_region(std::string_view r) {
  if (r.empty() || r.size() > 63 || r.front() == '-' || r.back() == '-') return false;
  for (char c : r) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

std::string dns_suffix(std::string_view region) {
  if (region.rfind("cn-", 0) == 0) return "amazonaws.com.cn";
  if (region.rfind("us-isob-", 0) == 0) return "sc2s.sgov.gov";
  if (region.rfind("us-iso-", 0) == 0) return "c2s.ic.gov";
  return "amazonaws.com";
}

[[noreturn]] void bad_url(std::string_view text, const char* why) {
  throw std::invalid_argument("endpoint URL \"" + std::string(text) + "\": " + why);
}

}  // namespace

std::string Url::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = v6 ? "[" + host + "]" : host;
  const bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  if (!default_port) out += ":" + std::to_string(port);
  return out;
}

Url parse_url(std::string_view text) {
  Url url;
  std::string_view rest;
  if (text.rfind("https://", 0) == 0) {
    url.scheme = "https", url.port = 443, rest = text.substr(8);
  } else if (text.rfind("http://", 0) == 0) {
    url.scheme = "http", url.port = 80, rest = text.substr(7);
  } else {
    bad_url(text, "must start with https:// or http://");
  }
  if (rest.find_first_of("?#@ ") != std::string_view::npos) {
    bad_url(text, "may hold only scheme, host, port and path");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  url.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) bad_url(text, "unterminated IPv6 address");
    url.host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') bad_url(text, "junk after the IPv6 address");
    has_port = !after.empty();
    if (has_port) port_text = after.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    url.host = authority.substr(0, colon);
    has_port = colon != std::string_view::npos;
    if (has_port) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) bad_url(text, "has no host");
  if (has_port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      bad_url(text, "bad port");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

ResolvedEndpoint resolve_endpoint(const AwsService& service, std::string_view configured,
                                  std::string_view region, const Environment& env) {
  if (!configured.empty()) return {parse_url(configured), "configured"};
  const bool ignore_env = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").value_or("") == "true";
  if (!ignore_env) {
    const std::string specific = "AWS_ENDPOINT_URL_" + service.env_id;
    if (auto url = env(specific)) return {parse_url(*url), specific};
    if (auto url = env("AWS_ENDPOINT_URL")) return {parse_url(*url), "AWS_ENDPOINT_URL"};
  }
  if (!is_region(region)) {
    throw std::invalid_argument("AWS region \"" + std::string(region) + "\" is not a region name");
  }
  return {parse_url("https://" + service.endpoint_prefix + "." + std::string(region) + "." +
                    dns_suffix(region)),
          "default"};
}

std::optional<ResolvedRegion> resolve_region(std::string_view configured, const Environment& env) {
  if (!configured.empty()) return ResolvedRegion{std::string(configured), "configured"};
  if (auto r = env("AWS_REGION")) return ResolvedRegion{*r, "AWS_REGION"};
  if (auto r = env("AWS_DEFAULT_REGION")) return ResolvedRegion{*r, "AWS_DEFAULT_REGION"};
  const SharedProfile profile = load_shared_profile(env);
  if (auto it = profile.config.find("region"); it != profile.config.end() && !it->second.empty()) {
    return ResolvedRegion{it->second, "profile " + profile.name + " (" + profile.config_file + ")"};
  }
  return std::nullopt;
}

}  // namespace mtls::certs::aws
