#include "tests/support/sigv4_vectors.hpp"

#include <strings.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mtls::test {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string sigv4_vector_dir(const char* env_name, const std::string& fallback) {
  const char* value = std::getenv(env_name);
  return value && *value ? value : fallback;
}

std::vector<SigV4Case> load_sigv4_cases(const std::string& dir, std::string& error) {
  std::vector<SigV4Case> cases;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    error = "SigV4 vector directory " + dir +
            " is missing (expected ../shared/testdata beside the "
            "source tree, or set the environment variable to a directory of case folders)";
    return cases;
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    const fs::path base = entry.path() / name;
    if (!fs::exists(fs::path(base).concat(".req"))) continue;
    SigV4Case c{name, entry.path().string()};
    c.req = slurp(fs::path(base).concat(".req"));
    c.creq = slurp(fs::path(base).concat(".creq"));
    c.sts = slurp(fs::path(base).concat(".sts"));
    c.authz = slurp(fs::path(base).concat(".authz"));
    c.sreq = slurp(fs::path(base).concat(".sreq"));
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  if (cases.empty()) error = "SigV4 vector directory " + dir + " holds no case folder";
  return cases;
}

certs::aws::HttpRequest parse_sigv4_req(const std::string& text) {
  certs::aws::HttpRequest request;
  const std::size_t blank = text.find("\n\n");
  const std::string head = text.substr(0, blank);
  if (blank != std::string::npos) request.body = text.substr(blank + 2);

  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  const std::size_t space = line.find(' ');
  const std::size_t version = line.rfind(" HTTP/1.1");
  request.method = line.substr(0, space);
  const std::string target = line.substr(space + 1, version - space - 1);
  const std::size_t q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) request.query = target.substr(q + 1);

  while (std::getline(lines, line)) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !request.headers.empty()) {
      request.headers.back().second += "\n" + line;
      continue;
    }
    const std::size_t colon = line.find(':');
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return request;
}

std::string header_value(const certs::aws::HttpRequest& request, const std::string& name) {
  for (const auto& [n, v] : request.headers) {
    if (strcasecmp(n.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

}  // namespace mtls::test
