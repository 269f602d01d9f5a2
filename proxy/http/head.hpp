#pragma once
// A message head as the proxy forwards it: parsed by Beast from bytes that passed check_head,
// hop-by-hop fields removed (RFC 9110 §7.6.1), framing decided; and its serialisation with the
// proxy's own framing and connection fields. Beast stays in head.cpp (DESIGN.md: keep Beast
// includes out of widely included headers).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/labels.hpp"

namespace mtls::proxy::http {

// How the body of a message ends.
enum class Framing { none, length, chunked, until_close };

struct Head {
  std::string method;  // requests
  std::string target;
  unsigned status = 0;  // responses
  std::string reason;
  unsigned version = 11;                                    // 10 or 11
  std::vector<std::pair<std::string, std::string>> fields;  // end-to-end fields, in order
  Framing framing = Framing::none;
  std::uint64_t length = 0;  // Framing::length
  bool keep_alive = true;    // the sender keeps the connection open after this message
  bool upgrade = false;      // requests: asks to switch protocols (Upgrade + Connection: upgrade)
  std::string upgrade_to;    // the Upgrade field's value

  // Removes every field named `name` (ASCII case-insensitive).
  void erase(std::string_view name);
  void set(std::string name, std::string value);  // erase, then append
  std::string_view get(std::string_view name) const;
};

// nullopt on success, else why Beast refused it (bad_request, header_too_large).
std::optional<metrics::HttpError> parse_request(std::string_view head, std::size_t header_limit,
                                                Head& out);
// `head_request` / `connect_request`: what the response answers (HEAD and CONNECT responses
// have no body, whatever their fields say).
std::optional<metrics::HttpError> parse_response(std::string_view head, std::size_t header_limit,
                                                 bool head_request, bool connect_request,
                                                 Head& out);

// Request line or status line, the fields, then Content-Length or Transfer-Encoding: chunked as
// `framing` says, Connection as `keep_alive`/`upgrade` say, and the empty line.
std::string serialize_request(const Head& head);
std::string serialize_response(const Head& head);

}  // namespace mtls::proxy::http
