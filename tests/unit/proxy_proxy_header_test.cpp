// The PROXY protocol v2 header, byte by byte against HAProxy's doc/proxy-protocol.txt (written
// out here by hand, not by the code under test).

#include <gtest/gtest.h>

#include <string>

#include "proxy/proxy_header.hpp"

namespace mtls::proxy {
namespace {

using namespace std::string_literals;

const std::string kSignature = "\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A"s;

ProxyTlsFacts facts() {
  return {.version = "TLSv1.3",
          .cipher = "TLS_AES_128_GCM_SHA256",
          .sig_alg = "ecdsa-with-SHA256",
          .key_alg = "EC256",
          .common_name = "",
          .spiffe_id = "spiffe://a/b",
          .resumed = false};
}

// PP2_TYPE_SSL for facts(): client = SSL|CERT_CONN|CERT_SESS, verify = 0, then VERSION, CIPHER,
// SIG_ALG and KEY_ALG (no CN: the client has none).
const std::string kSslTlv =
    "\x20\x00\x44"s                        // type, length 68
    "\x07\x00\x00\x00\x00"s                // client, verify
    "\x21\x00\x07TLSv1.3"s                 // 3 + 7
    "\x23\x00\x16TLS_AES_128_GCM_SHA256"s  // 3 + 22
    "\x24\x00\x11"s
    "ecdsa-with-SHA256"  // 3 + 17
    "\x25\x00\x05"s
    "EC256";  // 3 + 5
const std::string kSpiffeTlv = "\xE1\x00\x0Cspiffe://a/b"s;

TEST(ProxyHeader, Ipv4WithTlsFactsAndSpiffeId) {
  const tcp::endpoint client(net::ip::make_address("10.1.2.3"), 40000);
  const tcp::endpoint local(net::ip::make_address("127.0.0.1"), 8443);
  const std::string body =
      "\x0A\x01\x02\x03\x7F\x00\x00\x01\x9C\x40\x20\xFB"s + kSslTlv + kSpiffeTlv;
  ASSERT_EQ(body.size(), 12u + 71u + 15u);
  EXPECT_EQ(proxy_v2_header(client, local, facts()),
            kSignature + "\x21\x11\x00\x62"s + body);  // PROXY, TCP over IPv4, 98 bytes
}

TEST(ProxyHeader, Ipv6AndMappedIpv4) {
  const tcp::endpoint client(net::ip::make_address("::1"), 1);
  const tcp::endpoint local(net::ip::make_address("::ffff:127.0.0.1"), 2);
  ProxyTlsFacts f = facts();
  f.spiffe_id.clear();
  f.common_name = "web";
  f.resumed = true;
  const std::string header = proxy_v2_header(client, local, f);
  EXPECT_EQ(header.substr(12, 4), "\x21\x21\x00\x71"s);  // TCP over IPv6, 36 + 77 bytes
  EXPECT_EQ(header.substr(16, 16), std::string(15, '\0') + "\x01");
  EXPECT_EQ(header.substr(32, 16), std::string(10, '\0') + "\xFF\xFF\x7F\x00\x00\x01"s);
  EXPECT_EQ(header.substr(48, 4), "\x00\x01\x00\x02"s);
  // Resumed: the certificate came with the session (CERT_SESS), not this connection. CN first.
  EXPECT_EQ(header.substr(52, 14), "\x20\x00\x4A\x05\x00\x00\x00\x00\x21\x00\x07TLS"s);
  EXPECT_EQ(header.substr(70, 6), "\x22\x00\x03web"s);
  EXPECT_EQ(header.size(), 16u + 0x71);

  // Both IPv4 (one of them mapped): sent as IPv4.
  const tcp::endpoint v4(net::ip::make_address("127.0.0.1"), 2);
  EXPECT_EQ(proxy_v2_header(v4, local, f).substr(13, 1), "\x11");
}

}  // namespace
}  // namespace mtls::proxy
