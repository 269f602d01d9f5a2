#pragma once
// The config schema of DESIGN.md §5, read from a YAML tree, and the rules spanning fields.
// Internal to config/: load.cpp runs read_config, then validate, on one Diagnostics.

#include <string_view>

#include "config/config.hpp"
#include "config/yaml_reader.hpp"

namespace mtls::config::detail {

using Need = MapReader::Need;

// Each map's keys, types, formats and always-required keys. read_config.cpp
void read_config(const YAML::Node& root, Diagnostics& diag, Config& out);
// identity: and its sections; a section's keys are required only for the chosen source.
// read_identity.cpp
void read_identity(const MapReader& top, IdentityConfig& out);
// inbound: and outbound: lists, with their allow/expect policies. read_listeners.cpp
void read_listeners(const MapReader& top, Config& out);

// http: limits, timeouts, identity headers, access log. read_http.cpp
void read_http(const MapReader& top, HttpConfig& out);

// Rules spanning fields, after reading; quiet about fields that already have an issue.
// Fills defaults that depend on other fields (outbound server_name). validate.cpp
void validate(Config& config, Diagnostics& diag);

std::string_view source_name(IdentitySource source);

}  // namespace mtls::config::detail
