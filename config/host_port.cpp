// host:port parsing and host-name syntax. IPv6 must be bracketed: "::1:9901" cannot be split
// into address and port without guessing.

#include <arpa/inet.h>

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/names.hpp"
#include "config/quoted.hpp"

namespace mtls::config {
namespace detail {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool is_ipv4_literal(std::string_view host) {
  in_addr addr{};
  // inet_pton stops at a NUL: "127.0.0.1\0x" would pass as 127.0.0.1 (found by tests/fuzz).
  return host.find('\0') == host.npos && inet_pton(AF_INET, std::string(host).c_str(), &addr) == 1;
}

bool is_ipv6_literal(std::string_view host) {
  const std::string_view address = host.substr(0, host.find('%'));
  if (address.size() != host.size() && address.size() + 1 == host.size())
    return false;  // "fe80::1%"
  in6_addr addr{};
  return host.find('\0') == host.npos &&
         inet_pton(AF_INET6, std::string(address).c_str(), &addr) == 1;
}

bool check_host_name(std::string_view name, std::string& why) {
  if (name.size() > 253) {
    why = "host name " + quoted(name.substr(0, 40)) + "... is longer than 253 characters";
    return false;
  }
  std::string_view last_label;
  for (std::string_view rest = name;;) {
    const std::size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      why = "invalid host name " + quoted(name) +
            ": labels are 1 to 63 letters, digits, '-' or '_', separated by dots";
      return false;
    }
    for (char c : label) {
      if (!is_name_char(c)) {
        why = "invalid host name " + quoted(name) + ": unexpected character '" + c + "'";
        return false;
      }
    }
    last_label = label;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (all_digits(last_label)) {  // no top-level domain is numeric: "999.1.1.1" is a bad IPv4
    why = "invalid IPv4 address " + quoted(name);
    return false;
  }
  return true;
}

}  // namespace detail

std::string HostPort::to_string() const {
  const std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

namespace {

constexpr std::string_view kExample = "; expected host:port, like 127.0.0.1:8080 or \"[::1]:8080\"";

// "[v6]:port" -> host "v6", rest ":port".
bool split_bracketed(std::string_view text, std::string_view& host, std::string_view& rest,
                     std::string& why) {
  const std::size_t close = text.find(']');
  if (close == std::string_view::npos) {
    why = "missing ']' in " + detail::quoted(text) + std::string(kExample);
    return false;
  }
  host = text.substr(1, close - 1);
  rest = text.substr(close + 1);
  if (!detail::is_ipv6_literal(host)) {
    why = "invalid IPv6 address " + detail::quoted(host);
    return false;
  }
  if (!rest.empty() && rest.front() != ':') {
    why = "expected \":port\" after ']' in " + detail::quoted(text);
    return false;
  }
  return true;
}

// "host:port" (an IPv4 literal or a DNS name) -> host, rest ":port". Says what was probably meant
// when the host is missing or an IPv6 address lacks its brackets.
bool split_plain(std::string_view text, std::string_view& host, std::string_view& rest,
                 std::string& why) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos && detail::all_digits(text)) {
    why = "missing host in " + detail::quoted(text) + "; use 0.0.0.0:" + std::string(text) +
          " for every IPv4 interface";
    return false;
  }
  if (colon != std::string_view::npos && text.find(':') != colon) {
    why = "IPv6 address without brackets in " + detail::quoted(text) +
          "; write it like \"[::1]:9901\"";
    return false;
  }
  host = text.substr(0, colon);
  rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
  if (host.empty()) {
    why = "missing host in " + detail::quoted(text) + "; use 0.0.0.0" + std::string(rest) +
          " for every IPv4 interface";
    return false;
  }
  return detail::is_ipv4_literal(host) || detail::check_host_name(host, why);
}

// ":8080" -> 8080; digits only, 0..65535 (no overflow however long the text).
bool parse_port(std::string_view rest, std::string_view text, std::uint16_t& port,
                std::string& why) {
  if (rest.size() <= 1) {
    why = "missing port in " + detail::quoted(text) + std::string(kExample);
    return false;
  }
  const std::string_view digits = rest.substr(1);
  unsigned long value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      why = "port " + detail::quoted(digits) + " is not a number";
      return false;
    }
    if (value <= 65535) value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value > 65535) {
    why = "port " + std::string(digits) + " is out of range 0..65535";
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

bool parse_host_port(std::string_view text, HostPort& out, std::string& why) {
  if (text.empty()) {
    why = "empty address" + std::string(kExample);
    return false;
  }
  std::string_view host, rest;  // rest: ":port"
  const bool split = text.front() == '[' ? split_bracketed(text, host, rest, why)
                                         : split_plain(text, host, rest, why);
  std::uint16_t port = 0;
  if (!split || !parse_port(rest, text, port, why)) return false;
  out.host = std::string(host);
  out.port = port;
  return true;
}

}  // namespace mtls::config
