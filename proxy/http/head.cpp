#include "proxy/http/head.hpp"

#include <algorithm>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <limits>

namespace mtls::proxy::http {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using metrics::HttpError;

namespace {

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

// Fields that describe one connection, not the message (RFC 9110 §7.6.1), and the framing
// fields the proxy writes itself. Fields named by Connection are removed too.
bool hop_by_hop(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "connection",        "keep-alive",     "proxy-connection", "te", "trailer", "upgrade",
      "transfer-encoding", "content-length", "http2-settings"};
  return std::any_of(std::begin(kNames), std::end(kNames),
                     [&](std::string_view n) { return iequals(n, name); });
}

template <bool isRequest>
void copy_fields(const bhttp::header<isRequest>& h, Head& out, bool keep_content_length) {
  const bhttp::token_list connection(h[bhttp::field::connection]);
  for (const auto& f : h) {
    const std::string_view name(f.name_string().data(), f.name_string().size());
    const std::string_view value(f.value().data(), f.value().size());
    if (keep_content_length && iequals(name, "content-length")) {
      out.fields.emplace_back(name, value);
      continue;
    }
    if (hop_by_hop(name)) continue;
    const bool listed = std::any_of(connection.begin(), connection.end(), [&](auto token) {
      return iequals(std::string_view(token.data(), token.size()), name);
    });
    if (!listed) out.fields.emplace_back(name, value);
  }
}

std::optional<HttpError> classify(const beast::error_code& ec) {
  if (!ec) return std::nullopt;
  if (ec == bhttp::error::header_limit) return HttpError::header_too_large;
  return HttpError::bad_request;
}

void append_fields(std::string& out, const Head& head) {
  for (const auto& [name, value] : head.fields) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
}

void append_connection(std::string& out, const Head& head) {
  if (head.upgrade) {
    out.append("Connection: upgrade\r\nUpgrade: ").append(head.upgrade_to).append("\r\n");
  } else if (!head.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (head.version == 10) {
    out.append("Connection: keep-alive\r\n");
  }
}

void append_framing(std::string& out, const Head& head) {
  if (head.framing == Framing::length)
    out.append("Content-Length: ").append(std::to_string(head.length)).append("\r\n");
  if (head.framing == Framing::chunked) out.append("Transfer-Encoding: chunked\r\n");
}

}  // namespace

void Head::erase(std::string_view name) {
  std::erase_if(fields, [&](const auto& f) { return iequals(f.first, name); });
}

void Head::set(std::string name, std::string value) {
  erase(name);
  fields.emplace_back(std::move(name), std::move(value));
}

std::string_view Head::get(std::string_view name) const {
  for (const auto& f : fields)
    if (iequals(f.first, name)) return f.second;
  return {};
}

std::optional<HttpError> parse_request(std::string_view text, std::size_t header_limit, Head& out) {
  bhttp::request_parser<bhttp::empty_body> p;
  p.header_limit(std::uint32_t(header_limit));
  // Beast refuses a Content-Length over its body limit (1 MiB) at the head; ours is
  // http.max_body_bytes, applied by the engine (413).
  p.body_limit(std::numeric_limits<std::uint64_t>::max());
  p.eager(false);
  beast::error_code ec;
  p.put(boost::asio::buffer(text.data(), text.size()), ec);
  if (auto e = classify(ec)) return e;
  if (!p.is_header_done()) return HttpError::bad_request;
  const auto& m = p.get();
  out.method = std::string(m.method_string());
  out.target = std::string(m.target());
  out.version = m.version();
  if (out.version != 10 && out.version != 11) return HttpError::bad_request;
  out.keep_alive = p.keep_alive();
  out.upgrade = p.upgrade();
  if (out.upgrade) out.upgrade_to = std::string(m[bhttp::field::upgrade]);
  copy_fields(m.base(), out, false);
  if (p.chunked()) {
    out.framing = Framing::chunked;
  } else if (p.content_length()) {  // kept even when 0: some apps want it on every POST
    out.framing = Framing::length;
    out.length = *p.content_length();
  } else {
    out.framing = Framing::none;  // a request without framing has no body (RFC 9112 §6.3)
  }
  return std::nullopt;
}

std::optional<HttpError> parse_response(std::string_view text, std::size_t header_limit,
                                        bool head_request, bool connect_request, Head& out) {
  bhttp::response_parser<bhttp::empty_body> p;
  p.header_limit(std::uint32_t(header_limit));
  p.body_limit(std::numeric_limits<std::uint64_t>::max());  // responses are streamed, unbounded
  p.eager(false);
  if (head_request) p.skip(true);
  beast::error_code ec;
  p.put(boost::asio::buffer(text.data(), text.size()), ec);
  if (auto e = classify(ec)) return e == HttpError::header_too_large ? e : HttpError::bad_response;
  if (!p.is_header_done()) return HttpError::bad_response;
  const auto& m = p.get();
  out.status = m.result_int();
  out.reason = std::string(m.reason());
  out.version = m.version();
  if (out.version != 10 && out.version != 11) return HttpError::bad_response;
  out.keep_alive = p.keep_alive();
  const bool informational = out.status / 100 == 1;
  const bool tunnel = connect_request && out.status / 100 == 2;
  const bool bodiless =
      head_request || informational || out.status == 204 || out.status == 304 || tunnel;
  out.upgrade = out.status == 101;
  if (out.upgrade) out.upgrade_to = std::string(m[bhttp::field::upgrade]);
  // A bodiless response's Content-Length describes the resource (HEAD, 304): pass it on.
  copy_fields(m.base(), out, bodiless);
  if (bodiless) {
    out.framing = Framing::none;
  } else if (p.chunked()) {
    out.framing = Framing::chunked;
  } else if (p.content_length()) {
    out.framing = *p.content_length() > 0 ? Framing::length : Framing::none;
    out.length = *p.content_length();
    if (out.framing == Framing::none) out.fields.emplace_back("Content-Length", "0");
  } else {
    out.framing = Framing::until_close;
    out.keep_alive = false;
  }
  return std::nullopt;
}

std::string serialize_request(const Head& head) {
  std::string out;
  out.reserve(256);
  out.append(head.method).append(" ").append(head.target);
  out.append(head.version == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  append_fields(out, head);
  append_framing(out, head);
  append_connection(out, head);
  out.append("\r\n");
  return out;
}

std::string serialize_response(const Head& head) {
  std::string out;
  out.reserve(256);
  out.append(head.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(head.status));
  out.append(" ").append(head.reason).append("\r\n");
  append_fields(out, head);
  append_framing(out, head);
  append_connection(out, head);
  out.append("\r\n");
  return out;
}

}  // namespace mtls::proxy::http
