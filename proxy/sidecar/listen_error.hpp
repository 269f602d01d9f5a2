#pragma once
// A listener or the admin port that cannot be bound at start-up (EADDRINUSE, EACCES), with the
// config field of its address ("inbound[0].listen", "admin.listen"), so `run` reports it at the
// line of the config like every other start-up error. Still a std::system_error with the errno.

#include <string>
#include <system_error>

namespace mtls::proxy {

class ListenError : public std::system_error {
 public:
  ListenError(std::string field, std::error_code code, const std::string& what)
      : std::system_error(code, what), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

}  // namespace mtls::proxy
