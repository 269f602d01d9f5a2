#pragma once
// The process environment as a lookup function, so the credential chain, region and endpoint
// resolution can be tested with a map instead of setenv (which is not thread-safe).

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace mtls::certs::aws {

// Returns the variable's value; nullopt when unset. An empty value counts as unset, as in the SDKs.
using Environment = std::function<std::optional<std::string>(const std::string&)>;

Environment process_environment();
Environment fixed_environment(std::map<std::string, std::string> values);

// "~/x" -> "$HOME/x" (the SDKs expand ~ in AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE).
std::string expand_home(const std::string& path, const Environment& env);

}  // namespace mtls::certs::aws
