// Issue formatting and the one exception the loaders throw.

#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace mtls::config {
namespace {

std::string join(const std::vector<Issue>& issues) {
  std::string text;
  for (const Issue& issue : issues) {
    if (!text.empty()) text += '\n';
    text += issue.to_string();
  }
  return text;
}

}  // namespace

std::string Issue::to_string() const {
  std::string text = file;
  // Line 0: the file itself is the problem (unreadable), there is no position to point at.
  if (line > 0) {  // appended piece by piece: see config/quoted.hpp for GCC 12's -Wrestrict
    text += ':';
    text += std::to_string(line);
    text += ':';
    text += std::to_string(column);
  }
  // A config built in code (tests, the demo) has no file: the field leads.
  if (!text.empty()) text += ": ";
  if (!field.empty()) text += field + ": ";
  return text + message;
}

Error::Error(std::vector<Issue> issues)
    : std::runtime_error(join(issues)), issues_(std::move(issues)) {}

}  // namespace mtls::config
