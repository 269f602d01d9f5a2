#include "certs/aws/environment.hpp"

#include <cstdlib>

namespace mtls::certs::aws {

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

Environment fixed_environment(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

std::string expand_home(const std::string& path, const Environment& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    if (auto home = env("HOME")) return *home + path.substr(1);
  }
  return path;
}

}  // namespace mtls::certs::aws
