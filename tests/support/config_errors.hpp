#pragma once
// For config tests: what loading `yaml` as "sidecar.yaml" reports, as one string ("loaded" when
// it loads), so a test can compare the exact FILE:LINE:COL messages.

#include <string>
#include <string_view>

#include "config/config.hpp"

namespace mtls::test {

// A valid identity section (three lines) for tests of the sections after it.
inline constexpr char kFileIdentityYaml[] = R"(identity:
  source: file
  file: { cert: a.crt, key: a.key }
)";

inline std::string load_error(std::string_view yaml) {
  try {
    config::load_string(yaml, "sidecar.yaml");
    return "loaded";
  } catch (const config::Error& e) {
    return e.what();
  }
}

}  // namespace mtls::test
