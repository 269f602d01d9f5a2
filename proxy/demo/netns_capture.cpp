#include "proxy/demo/netns_capture.hpp"

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>

namespace mtls::proxy::demo {
namespace {

std::uint32_t read32(std::string_view at, bool swap) {
  std::uint32_t v;
  std::memcpy(&v, at.data(), 4);
  return swap ? __builtin_bswap32(v) : v;
}

std::string_view ipv4_bytes(const std::string& text, char (&out)[4]) {
  if (::inet_pton(AF_INET, text.c_str(), out) != 1)
    throw std::invalid_argument("not an IPv4 address: " + text);
  return {out, 4};
}

}  // namespace

CaptureSummary summarize_capture(const std::string& pcap_file, const std::string& addr_a,
                                 const std::string& addr_b, const std::string& marker,
                                 const std::string& control) {
  std::ifstream in(pcap_file, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw std::runtime_error("cannot read " + pcap_file);
  const std::string_view file(data);
  if (file.size() < 24) throw std::runtime_error(pcap_file + ": not a pcap file");
  // Microsecond or nanosecond pcap, written in either byte order.
  const std::uint32_t magic = read32(file, false);
  bool swap = false;
  if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
    swap = true;
  } else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
    throw std::runtime_error(pcap_file + ": not a pcap file");
  }
  char a_buf[4], b_buf[4];
  const std::string_view a = ipv4_bytes(addr_a, a_buf), b = ipv4_bytes(addr_b, b_buf);

  CaptureSummary s;
  std::size_t pos = 24;
  while (pos + 16 <= file.size()) {
    const std::size_t caplen = read32(file.substr(pos + 8), swap);
    const std::string_view frame = file.substr(pos + 16, caplen);
    pos += 16 + caplen;
    if (frame.size() < 34 || frame.substr(12, 2) != std::string_view("\x08\x00", 2)) continue;
    const std::string_view ip = frame.substr(14);
    const std::size_t ihl = (static_cast<unsigned char>(ip[0]) & 15u) * 4;
    if (ip[9] != 6 || ip.size() < ihl + 20) continue;
    const std::string_view src = ip.substr(12, 4), dst = ip.substr(16, 4);
    const std::string_view tcp = ip.substr(ihl);
    const std::size_t data_offset = (static_cast<unsigned char>(tcp[12]) >> 4) * 4u;
    const std::string_view payload = tcp.substr(std::min(data_offset, tcp.size()));
    ++s.packets;
    if (payload.find(marker) != std::string_view::npos) ++s.marker;
    if (payload.find(control) != std::string_view::npos) ++s.control;
    const bool pair = (src == a && dst == b) || (src == b && dst == a);
    if (!pair || payload.empty()) continue;
    s.pair_bytes += payload.size();
    if (payload.size() > 1 && payload[0] == 0x16 && payload[1] == 0x03) ++s.handshakes;
    if (payload.find(std::string_view("\x17\x03\x03", 3)) != std::string_view::npos) ++s.app_data;
  }
  return s;
}

}  // namespace mtls::proxy::demo
