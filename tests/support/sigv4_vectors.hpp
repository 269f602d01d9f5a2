#pragma once
// Reader for the AWS SigV4 test-suite layout (../shared/testdata/sigv4*/README.md): one folder per
// case holding <case>.{req,creq,sts,authz,sreq}, LF endings, no final newline. Beast's parser would
// refuse the suite's folded headers and raw paths, hence this small reader.

#include <string>
#include <vector>

#include "certs/aws/sigv4.hpp"

namespace mtls::test {

struct SigV4Case {
  std::string name;
  std::string dir;                          // the case folder
  std::string req, creq, sts, authz, sreq;  // file contents, exact
};

// The vector directory: $env_name if set, else `fallback`.
std::string sigv4_vector_dir(const char* env_name, const std::string& fallback);

// Every case folder in `dir`, sorted by name. Sets `error` (and returns none) when the directory is
// missing or holds no case, so a test cannot pass on an empty set.
std::vector<SigV4Case> load_sigv4_cases(const std::string& dir, std::string& error);

// The .req text as a request: method, then the target up to the last " HTTP/1.1" (split at '?');
// "Name:value" lines with continuation lines (leading space) appended to the previous value after
// a '\n'; the body after the first empty line.
certs::aws::HttpRequest parse_sigv4_req(const std::string& text);

// The value of header `name` (case-insensitive), or "" when absent.
std::string header_value(const certs::aws::HttpRequest& request, const std::string& name);

}  // namespace mtls::test
