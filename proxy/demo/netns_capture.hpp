#pragma once
// What a tcpdump capture (pcap file, Ethernet frames) shows of TCP between two addresses: how
// many segments, how many start a TLS handshake record, how many carry TLS application data,
// and how many hold a given plaintext. Enough for the demo to say what crossed the wire.

#include <cstddef>
#include <string>

namespace mtls::proxy::demo {

struct CaptureSummary {
  std::size_t packets = 0;     // TCP over IPv4, any addresses
  std::size_t pair_bytes = 0;  // TCP payload bytes between the two addresses
  std::size_t handshakes = 0;  // of those segments, starting with a TLS handshake record
  std::size_t app_data = 0;    // holding a TLS 1.2/1.3 application data record header
  std::size_t marker = 0;      // segments (any addresses) holding `marker`
  std::size_t control = 0;     // segments (any addresses) holding `control`
};

// Throws if the file cannot be read or is not a pcap file.
CaptureSummary summarize_capture(const std::string& pcap_file, const std::string& addr_a,
                                 const std::string& addr_b, const std::string& marker,
                                 const std::string& control);

}  // namespace mtls::proxy::demo
