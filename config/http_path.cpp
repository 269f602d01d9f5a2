#include "config/http_path.hpp"

#include <algorithm>

namespace mtls::config {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

CanonicalPath refuse(std::string why) { return {false, {}, std::move(why)}; }

// A dot segment, also with path parameters: Tomcat and others drop ";..." before resolving.
bool is_dot_segment(std::string_view segment) {
  const std::string_view bare = segment.substr(0, segment.find(';'));
  return bare == "." || bare == "..";
}

}  // namespace

CanonicalPath canonical_path(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return refuse("not an origin-form path (it must start with '/')");
  }
  target = target.substr(0, target.find('?'));
  std::string out;
  out.reserve(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    const auto c = static_cast<unsigned char>(target[i]);
    if (c <= 0x20 || c >= 0x7f) return refuse("control, space or non-ASCII byte in the path");
    if (c == '\\') return refuse("backslash in the path");
    if (c == '#') return refuse("'#' in the path");
    if (c != '%') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    const int hi = i + 2 < target.size() ? hex_value(target[i + 1]) : -1;
    const int lo = hi >= 0 ? hex_value(target[i + 2]) : -1;
    if (lo < 0) return refuse("'%' not followed by two hex digits");
    const auto decoded = static_cast<unsigned char>(hi * 16 + lo);
    i += 2;
    if (decoded == '/' || decoded == '\\') return refuse("encoded '/' or '\\' (%2F, %5C)");
    if (decoded < 0x20 || decoded == 0x7f) return refuse("encoded control byte");
    if (is_unreserved(decoded)) {
      out.push_back(static_cast<char>(decoded));
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += {'%', kHex[decoded >> 4], kHex[decoded & 15]};
    }
  }
  // Segments between slashes; the one after a trailing '/' is empty and allowed.
  std::size_t start = 1;
  while (start <= out.size()) {
    const std::size_t end = std::min(out.find('/', start), out.size());
    const std::string_view segment = std::string_view(out).substr(start, end - start);
    if (segment.empty() && end < out.size()) return refuse("empty path segment (//)");
    if (is_dot_segment(segment)) return refuse("dot segment (. or ..) in the path");
    start = end + 1;
  }
  return {true, std::move(out), {}};
}

}  // namespace mtls::config
