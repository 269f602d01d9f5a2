#pragma once
// Open findings the targets step around so that the rest of the code keeps being fuzzed
// (KNOWN.md lists them; their inputs are in known/<target>/). With FUZZ_STRICT=1 nothing is
// skipped: run.sh replays known/ that way and reports each finding as still open or fixed.

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

namespace mtls::fuzz {

inline bool strict() {
  static const bool value = [] {
    const char* v = std::getenv("FUZZ_STRICT");
    return v != nullptr && std::string_view(v) == "1";
  }();
  return value;
}

}  // namespace mtls::fuzz
