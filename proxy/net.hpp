#pragma once
// Namespace aliases for proxy/ (Asio only; Beast stays in the few files that need it).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <string>

namespace mtls::proxy {
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

// "198.18.0.20:80", "[fd00::1]:80": an endpoint as logs and pages show it.
inline std::string endpoint_text(const tcp::endpoint& e) {
  const std::string address = e.address().to_string();
  return (e.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(e.port());
}
}  // namespace mtls::proxy
