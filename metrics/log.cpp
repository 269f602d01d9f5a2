#include "metrics/log.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace mtls::log {
namespace {

Level g_level = Level::info;
Sink g_sink = nullptr;
void* g_sink_context = nullptr;

const char* level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];  // room for any int the format could print (GCC's -Wformat-truncation)
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms.count()));
  return buf;
}

void emit_line(std::string& line) {
  if (g_sink) return g_sink(line, g_sink_context);
  line.push_back('\n');
  // One write per line: atomic for pipes up to PIPE_BUF and never interleaved within a line on
  // regular files opened with O_APPEND; good enough for logs, and lock-free.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;
    p += n;
    left -= size_t(n);
  }
}

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 if the bytes there are not
// one (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, cut short).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = byte(0);
  if (c < 0x80) return 1;
  const std::size_t n = c >= 0xc2 && c <= 0xdf   ? 2
                        : c >= 0xe0 && c <= 0xef ? 3
                        : c >= 0xf0 && c <= 0xf4 ? 4
                                                 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((byte(k) & 0xc0) != 0x80) return 0;
  if (c == 0xe0 && byte(1) < 0xa0) return 0;  // overlong
  if (c == 0xed && byte(1) > 0x9f) return 0;  // UTF-16 surrogate
  if (c == 0xf0 && byte(1) < 0x90) return 0;  // overlong
  if (c == 0xf4 && byte(1) > 0x8f) return 0;  // beyond U+10FFFF
  return n;
}

// JSON string escaping. Values may carry attacker-chosen bytes (certificate fields): a byte that
// is not valid UTF-8 is written as the text \xNN, as certs::printable() renders it in labels, so
// every line stays valid JSON and valid UTF-8.
void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    const std::size_t n = utf8_sequence(s, i);
    char buf[8];
    if (n == 0) {
      std::snprintf(buf, sizeof buf, "\\\\x%02x", static_cast<unsigned char>(c));
      out += buf;
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
    ++i;
  }
  out.push_back('"');
}

}  // namespace

void set_level(Level level) { g_level = level; }
bool enabled(Level level) { return level >= g_level; }
void set_sink(Sink sink, void* context) {
  g_sink = sink;
  g_sink_context = context;
}

bool parse_level(std::string_view text, Level& out) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error}) {
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void write(Level level, std::string_view message) {
  std::string line = timestamp();
  line += ' ';
  line += level_name(level);
  line.append(6 - std::string_view(level_name(level)).size(), ' ');
  line += message;
  emit_line(line);
}

JsonLine::JsonLine(Level level, std::string_view event) : level_(level) {
  if (!enabled(level_)) return;
  text_ = "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + level_name(level) + "\",\"event\":";
  append_json_string(text_, event);
}

JsonLine& JsonLine::field(std::string_view key, std::string_view value) {
  if (!enabled(level_)) return *this;
  text_ += ',';
  append_json_string(text_, key);
  text_ += ':';
  append_json_string(text_, value);
  return *this;
}

JsonLine& JsonLine::field(std::string_view key, unsigned long long value) {
  if (!enabled(level_)) return *this;
  text_ += ',';
  append_json_string(text_, key);
  text_ += ':';
  text_ += std::to_string(value);
  return *this;
}

JsonLine& JsonLine::field(std::string_view key, double value) {
  if (!enabled(level_)) return *this;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", value);
  text_ += ',';
  append_json_string(text_, key);
  text_ += ':';
  text_ += buf;
  return *this;
}

void JsonLine::emit() {
  if (!enabled(level_)) return;
  text_ += '}';
  emit_line(text_);
}

}  // namespace mtls::log
