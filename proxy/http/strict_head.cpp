#include "proxy/http/strict_head.hpp"

#include <algorithm>
#include <cctype>

namespace mtls::proxy::http {
namespace {

using metrics::HttpError;

bool is_tchar(unsigned char c) {
  if (std::isalnum(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower((unsigned char)x) == std::tolower((unsigned char)y);
         });
}

std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// A field value may hold VCHAR, obs-text, SP and HTAB; NUL and other controls are refused.
bool valid_value(std::string_view v) {
  return std::all_of(v.begin(), v.end(),
                     [](unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); });
}

}  // namespace

std::size_t find_head_end(std::string_view data) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] != '\n') continue;
    const std::size_t length = i - line;  // without the LF
    if (length == 0 || (length == 1 && data[line] == '\r')) {
      if (line > 0) return i + 1;  // an empty line after at least the start line
    }
    line = i + 1;
  }
  return std::string_view::npos;
}

std::optional<HttpError> check_head(std::string_view head) {
  // Every line must end in CRLF, and no CR may stand alone.
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r' && (i + 1 >= head.size() || head[i + 1] != '\n'))
      return HttpError::bare_cr_lf;
    if (head[i] == '\n' && (i == 0 || head[i - 1] != '\r')) return HttpError::bare_cr_lf;
  }
  std::size_t pos = head.find("\r\n");
  if (pos == std::string_view::npos) return HttpError::bad_request;
  const std::string_view start = head.substr(0, pos);
  if (start.empty() || !valid_value(start)) return HttpError::bad_request;
  pos += 2;
  int content_lengths = 0;
  int transfer_encodings = 0;
  bool chunked = false;
  while (pos < head.size()) {
    const std::size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) return HttpError::bad_request;
    const std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) break;  // the end of the head
    if (line.front() == ' ' || line.front() == '\t') return HttpError::obs_fold;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return HttpError::bad_request;
    const std::string_view name = line.substr(0, colon);
    if (name.empty()) return HttpError::bad_header_name;
    if (name.back() == ' ' || name.back() == '\t') return HttpError::space_before_colon;
    if (!std::all_of(name.begin(), name.end(), [](char c) { return is_tchar((unsigned char)c); }))
      return HttpError::bad_header_name;
    const std::string_view raw_value = line.substr(colon + 1);
    if (!valid_value(raw_value)) return HttpError::bad_request;
    const std::string_view value = trim_ows(raw_value);
    if (iequals(name, "content-length")) {
      if (++content_lengths > 1) return HttpError::bad_content_length;
      // 1*DIGIT only: no sign, no list, no spaces inside; at most 18 digits (no overflow).
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return HttpError::bad_content_length;
    } else if (iequals(name, "transfer-encoding")) {
      if (++transfer_encodings > 1) return HttpError::bad_transfer_encoding;
      if (!iequals(value, "chunked")) return HttpError::bad_transfer_encoding;
      chunked = true;
    }
  }
  if (content_lengths > 0 && transfer_encodings > 0) return HttpError::content_length_and_chunked;
  (void)chunked;
  return std::nullopt;
}

}  // namespace mtls::proxy::http
