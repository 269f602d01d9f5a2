// Issues about fields found after loading (by certs/ and proxy/), placed like the loader's own.

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace mtls::config {
namespace {

std::string_view parent_of(std::string_view field) {
  const std::size_t cut = field.find_last_of(".[");
  return cut == std::string_view::npos ? std::string_view{} : field.substr(0, cut);
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty() || from == to) return;
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

Issue issue_at(const Config& config, std::string_view field, std::string message) {
  Issue issue{config.name, 0, 0, std::string(field), std::move(message)};
  for (std::string_view at = field; !at.empty(); at = parent_of(at)) {
    const auto it = config.origins.find(at);
    if (it == config.origins.end() || it->second.line == 0) continue;
    issue.line = it->second.line;
    issue.column = it->second.column;
    break;
  }
  if (issue.line == 0 && !config.origins.empty()) issue.line = issue.column = 1;
  return issue;
}

std::string as_written(const Config& config, std::string text) {
  const IdentityConfig& id = config.identity;
  const std::pair<const char*, const std::string*> paths[] = {
      {"identity.file.cert", &id.file.cert},
      {"identity.file.key", &id.file.key},
      {"identity.file.key_passphrase_file", &id.file.key_passphrase_file},
      {"identity.local_ca.dir", &id.local_ca.dir},
      {"identity.local_ca.key_passphrase_file", &id.local_ca.key_passphrase_file},
      {"trust.ca_bundle", &config.trust.ca_bundle},
      {"trust.crl", &config.trust.crl}};
  // Longest first: a directory is a prefix of the files beneath it. Messages may name the file
  // where its symlinks lead (certs/ reads through them), so that form is replaced too.
  std::vector<std::pair<std::string, std::string>> replacements;
  for (const auto& [field, resolved] : paths) {
    const auto it = config.origins.find(field);
    if (it == config.origins.end() || resolved->empty()) continue;
    replacements.emplace_back(*resolved, it->second.written);
    std::error_code ec;
    const std::string target = std::filesystem::weakly_canonical(*resolved, ec).string();
    if (!ec && target != *resolved) replacements.emplace_back(target, it->second.written);
  }
  std::sort(replacements.begin(), replacements.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [from, to] : replacements) replace_all(text, from, to);
  return text;
}

}  // namespace mtls::config
