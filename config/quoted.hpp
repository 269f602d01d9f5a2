#pragma once
// quoted("x") == "\"x\"", for error messages. Built by appending into one reserved buffer:
// `"\"" + std::string(text) + "\""` makes GCC 12 at -O3 inline the temporaries' copies and
// report a -Wrestrict overlap that cannot happen, which fails Release builds (-Werror).

#include <string>
#include <string_view>

namespace mtls::config::detail {

inline std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  out += text;
  out += '"';
  return out;
}

}  // namespace mtls::config::detail
