#include "proxy/original_dst.hpp"

#include <linux/netfilter_ipv4.h>  // SO_ORIGINAL_DST
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace mtls::proxy {
namespace {
// linux/netfilter_ipv6/ip6_tables.h defines it as 80 too, but that header drags in the whole
// ip6tables ABI and does not compile as C++ with every kernel-header version.
constexpr int kIp6tSoOriginalDst = 80;
}  // namespace

std::optional<tcp::endpoint> original_destination(tcp::socket& socket, std::string& why) {
  error_code ec;
  const tcp::endpoint local = socket.local_endpoint(ec);
  if (ec) {
    why = "no local address: " + ec.message();
    return std::nullopt;
  }
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  const bool v6 = local.address().is_v6() && !local.address().to_v6().is_v4_mapped();
  const int rc =
      v6 ? ::getsockopt(socket.native_handle(), SOL_IPV6, kIp6tSoOriginalDst, &storage, &size)
         : ::getsockopt(socket.native_handle(), SOL_IP, SO_ORIGINAL_DST, &storage, &size);
  if (rc != 0) {
    why = std::string("no original destination (not redirected here?): ") + std::strerror(errno);
    return std::nullopt;
  }
  tcp::endpoint original;
  if (storage.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(storage);
    original = {net::ip::address_v4(ntohl(in.sin_addr.s_addr)), ntohs(in.sin_port)};
  } else if (storage.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(storage);
    net::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
    original = {net::ip::address_v6(bytes, in6.sin6_scope_id), ntohs(in6.sin6_port)};
  } else {
    why = "original destination of unknown family " + std::to_string(storage.ss_family);
    return std::nullopt;
  }
  // A dual-stack listener sees an IPv4 client's local address as ::ffff:a.b.c.d.
  const tcp::endpoint own =
      local.address().is_v6() && local.address().to_v6().is_v4_mapped()
          ? tcp::endpoint(net::ip::make_address_v4(net::ip::v4_mapped, local.address().to_v6()),
                          local.port())
          : local;
  if (original == own) {
    why = "original destination " + original.address().to_string() + ":" +
          std::to_string(original.port()) +
          " is the listener itself (not redirected); refused so "
          "it cannot loop";
    return std::nullopt;
  }
  return original;
}

const DestinationRule* rule_for(const std::vector<DestinationRule>& rules,
                                const tcp::endpoint& to) {
  for (const DestinationRule& rule : rules) {
    if (rule.match == to) return &rule;
  }
  return nullptr;
}

}  // namespace mtls::proxy
