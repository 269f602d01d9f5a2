#pragma once
// Namespace aliases for proxy/ (Asio only; Beast stays in the few files that need it).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace mtls::proxy {
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
}  // namespace mtls::proxy
