#pragma once
// For config tests: what loading `yaml` as "sidecar.yaml" reports, as one string ("loaded" when
// it loads), so a test can compare the exact FILE:LINE:COL messages.

#include <string>
#include <string_view>

#include "config/config.hpp"

namespace mtls::test {

inline std::string load_error(std::string_view yaml) {
  try {
    config::load_string(yaml, "sidecar.yaml");
    return "loaded";
  } catch (const config::Error& e) {
    return e.what();
  }
}

}  // namespace mtls::test
