#pragma once
// Strict checks of an HTTP/1.1 message head (request or status line, then fields) on its raw
// bytes, before Beast parses it. Beast 1.81 is lenient where a lenient proxy in front of a
// strict app (or the reverse) lets a request smuggle another one past it: it folds obs-fold
// lines, accepts a repeated identical Content-Length, and parses Transfer-Encoding lists. RFC 9112
// lets a server refuse each of these; a proxy must, because the app behind it may read the same
// bytes differently. Pure functions, no Beast: fuzzed on their own (tests/fuzz/http_head_fuzzer).

#include <cstddef>
#include <optional>
#include <string_view>

#include "metrics/labels.hpp"

namespace mtls::proxy::http {

// Where the head in `data` ends: the index just past its empty line (CRLF CRLF), or npos when
// no complete head is there yet. A bare LF ends a line here too, so that a head with bare LFs is
// found and refused (bare_cr_lf) rather than read until the size limit.
std::size_t find_head_end(std::string_view data);

// The first rule `head` (a complete head as find_head_end delimits it) breaks, or nullopt:
// bare CR or LF (§2.2), obs-fold (§5.2), whitespace before a colon or a field name that is not a
// token (§5.1), Content-Length with Transfer-Encoding (§6.1), a duplicate, comma-joined or
// non-numeric Content-Length (§6.3), a Transfer-Encoding other than exactly "chunked" (§6.1;
// we do not decode gzip and the like, and a list is where parsers disagree).
std::optional<metrics::HttpError> check_head(std::string_view head);

}  // namespace mtls::proxy::http
