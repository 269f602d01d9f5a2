#pragma once
// Logging: human-readable lines for start-up and control events, one JSON object per line for
// connection ends. Each line is one write(2) to stderr, so lines from several threads never
// interleave and no lock is taken. Level is set once at start-up, before threads start.

#include <string>
#include <string_view>

namespace mtls::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_level(Level level);
bool parse_level(std::string_view text, Level& out);  // "debug" | "info" | "warn" | "error"
bool enabled(Level level);

// "2026-11-23T13:29:24.123Z info  listening inbound web on 127.0.0.1:8443"
void write(Level level, std::string_view message);
inline void debug(std::string_view m) {
  if (enabled(Level::debug)) write(Level::debug, m);
}
inline void info(std::string_view m) {
  if (enabled(Level::info)) write(Level::info, m);
}
inline void warn(std::string_view m) {
  if (enabled(Level::warn)) write(Level::warn, m);
}
inline void error(std::string_view m) {
  if (enabled(Level::error)) write(Level::error, m);
}

// Builds one JSON log line: {"ts":"...","level":"info","event":"connection_end",...}.
class JsonLine {
 public:
  JsonLine(Level level, std::string_view event);
  JsonLine& field(std::string_view key, std::string_view value);
  JsonLine& field(std::string_view key, unsigned long long value);
  JsonLine& field(std::string_view key, double value);
  void emit();  // writes the line if `level` is enabled

 private:
  Level level_;
  std::string text_;
};

// Test hook: capture every line instead of writing it to stderr (nullptr restores stderr).
// Set before threads start.
using Sink = void (*)(std::string_view line, void* context);
void set_sink(Sink sink, void* context);

}  // namespace mtls::log
