#pragma once
// A failure to load or validate identity material, with the config field that names the file
// at fault ("identity.file.key", "trust.ca_bundle"), so `check-config` and start-up can point at
// the line of the config that names it. what() names the file as read (for the reload log).

#include <stdexcept>
#include <string>

namespace mtls::certs {

class LoadError : public std::runtime_error {
 public:
  LoadError(std::string field, const std::string& message)
      : std::runtime_error(message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// Runs `load`, turning any other exception into a LoadError for `field`.
template <typename Load>
auto attribute_to(const std::string& field, Load load) -> decltype(load()) {
  try {
    return load();
  } catch (const LoadError&) {
    throw;
  } catch (const std::exception& e) {
    throw LoadError(field, e.what());
  }
}

}  // namespace mtls::certs
