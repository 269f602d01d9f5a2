#pragma once
// The one canonical form of an HTTP request path that route rules are written in and requests are
// matched in (config/README.md "Route rules"). Shared by the config loader, which refuses a rule
// path not in this form, and by the route matcher on the data path. Pure; thread-safe.
//
// Allow-rules can only be bypassed by a request whose path the matcher reads as inside an allowed
// prefix while the app resolves it to somewhere else. So every form that apps and frameworks
// resolve differently is refused rather than guessed at (Envoy normalises several of them; its
// RBAC documentation warns that normalising differently from the app is the bypass):
// - dot segments `.` and `..`, also percent-encoded (`%2e%2E`) and with `;parameters` (`..;`,
//   which Tomcat resolves as `..`);
// - empty segments (`//`): apps merge them, and some parse `//host/path` as an authority;
// - encoded `/` and `\` (`%2F`, `%5C`) and a literal `\`: some apps decode or accept them as `/`;
// - a `%` not followed by two hex digits, encoded control bytes (`%00`), raw control or non-ASCII
//   bytes, `#`;
// - anything but origin-form (`*`, `http://host/...`).
// What stays is decoded where the decoding is unambiguous: percent-encoded unreserved characters
// (RFC 3986 §2.3: letters, digits, `-._~`) become the characters, other escapes get uppercase
// hex (§6.2.2.1). The query (from `?`) is cut off. Matching is case-sensitive, as RFC 3986 paths
// are; with allow-rules only, an app that ignores case can only be refused more, never less.

#include <string>
#include <string_view>

namespace mtls::config {

struct CanonicalPath {
  bool ok = false;
  std::string path;  // when ok: the canonical path, without the query
  std::string why;   // when not: what was refused, for the log or the config error
};

CanonicalPath canonical_path(std::string_view target);

}  // namespace mtls::config
