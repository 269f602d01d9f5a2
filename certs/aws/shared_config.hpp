#pragma once
// The AWS shared files: ~/.aws/credentials ("[name]" sections) and ~/.aws/config ("[profile name]",
// or "[default]"), in the INI dialect the SDKs read: full-line '#'/';' comments, "key = value",
// keys case-insensitive, indented lines continuing the previous value (nested "s3 =" blocks).
// Pure functions, no caching: files are small and read only when credentials are resolved.

#include <map>
#include <optional>
#include <string>

#include "certs/aws/environment.hpp"

namespace mtls::certs::aws {

using IniSection = std::map<std::string, std::string>;  // lowercased key -> value
using IniFile =
    std::map<std::string, IniSection>;  // section name as written, inner spaces collapsed

// Throws std::runtime_error("FILE:LINE: ...") on a line that is neither section, key nor comment.
IniFile parse_ini(const std::string& text, const std::string& file_name);

struct SharedProfile {
  std::string name;  // AWS_PROFILE, else "default"
  bool explicitly_named = false;
  std::string credentials_file;  // the paths read, for messages
  std::string config_file;
  bool found = false;      // the profile is in at least one file
  IniSection credentials;  // its section of the credentials file
  IniSection config;       // its section of the config file
};

// Reads both files (a missing file is not an error; an unreadable or malformed one throws).
SharedProfile load_shared_profile(const Environment& env);

}  // namespace mtls::certs::aws
