#include "certs/aws/shared_config.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mtls::certs::aws {
namespace {

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string collapse_spaces(const std::string& s) {
  std::string out;
  for (char c : trim(s)) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// nullopt when the file does not exist: the SDKs treat a missing file as an empty one.
std::optional<std::string> read_optional(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const IniSection* find(const IniFile& file, const std::string& section) {
  auto it = file.find(section);
  return it == file.end() ? nullptr : &it->second;
}

}  // namespace

IniFile parse_ini(const std::string& text, const std::string& file_name) {
  IniFile file;
  IniSection* section = nullptr;
  std::string* last_value = nullptr;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (std::isspace(static_cast<unsigned char>(line[0])) && last_value != nullptr) {
      // A nested block ("s3 =\n  max_concurrent_requests = 10") belongs to the key above it.
      *last_value += '\n' + t;
      continue;
    }
    if (t.front() == '[') {
      if (t.back() != ']') {
        throw std::runtime_error(file_name + ":" + std::to_string(number) +
                                 ": unterminated section");
      }
      section = &file[collapse_spaces(t.substr(1, t.size() - 2))];
      last_value = nullptr;
      continue;
    }
    const std::size_t eq = t.find('=');
    if (eq == std::string::npos || section == nullptr) {
      throw std::runtime_error(file_name + ":" + std::to_string(number) +
                               (section ? ": expected key = value" : ": key outside a [section]"));
    }
    std::string key = trim(t.substr(0, eq));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    last_value = &((*section)[key] = trim(t.substr(eq + 1)));
  }
  return file;
}

SharedProfile load_shared_profile(const Environment& env) {
  SharedProfile profile;
  if (auto name = env("AWS_PROFILE")) {
    profile.name = *name;
    profile.explicitly_named = true;
  } else {
    profile.name = "default";
  }
  profile.credentials_file =
      expand_home(env("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"), env);
  profile.config_file = expand_home(env("AWS_CONFIG_FILE").value_or("~/.aws/config"), env);

  if (auto text = read_optional(profile.credentials_file)) {
    const IniFile file = parse_ini(*text, profile.credentials_file);
    if (const IniSection* s = find(file, profile.name)) {
      profile.credentials = *s;
      profile.found = true;
    }
  }
  if (auto text = read_optional(profile.config_file)) {
    const IniFile file = parse_ini(*text, profile.config_file);
    // The config file names profiles "[profile x]"; only the default may also be "[default]".
    const IniSection* s = find(file, "profile " + profile.name);
    if (s == nullptr && profile.name == "default") s = find(file, "default");
    if (s != nullptr) {
      profile.config = *s;
      profile.found = true;
    }
  }
  return profile;
}

}  // namespace mtls::certs::aws
