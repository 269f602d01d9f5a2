// proxy_protocol: v2 on an inbound listener: the app behind the sidecar receives, before the
// client's first byte, a PROXY v2 header naming the real client and its TLS facts. The backend
// here records every byte it receives; the expected header is written out by hand.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/support/inbound_fixture.hpp"

namespace mtls::test {
namespace {

using namespace std::string_literals;

// Accepts one connection, reads until `payload` arrived at the end of what it read, records it
// all, then sends `payload` back (the client's echo check) and closes.
class RecordingBackend {
 public:
  explicit RecordingBackend(std::string payload) : payload_(std::move(payload)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("recording backend: cannot listen");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RecordingBackend() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  // Valid once the client's echo came back.
  const std::string& received() const { return received_; }
  std::uint16_t sidecar_port() const { return sidecar_port_; }  // the upstream socket's

 private:
  void serve() {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    const int c = ::accept(fd_, reinterpret_cast<sockaddr*>(&peer), &len);
    if (c < 0) return;
    sidecar_port_ = ntohs(peer.sin_port);
    timeval timeout{5, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char buffer[4096];
    while (!received_.ends_with(payload_)) {
      const ssize_t n = ::read(c, buffer, sizeof buffer);
      if (n <= 0) break;
      received_.append(buffer, std::size_t(n));
    }
    (void)!::write(c, payload_.data(), payload_.size());
    ::shutdown(c, SHUT_WR);
    while (::read(c, buffer, sizeof buffer) > 0) {
    }
    ::close(c);
  }

  std::string payload_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t sidecar_port_ = 0;
  std::string received_;
  std::thread thread_;
};

std::string be16(std::uint16_t v) { return {char(v >> 8), char(v & 0xff)}; }

TEST(ProxyProtocol, SendsTheClientAddressAndTlsFactsBeforeTheFirstByte) {
  RecordingBackend backend("ping");
  InboundFixture f([&](config::Config& c, const TestPki&) {
    c.inbound[0].forward.port = backend.port();
    c.inbound[0].proxy_protocol = config::ProxyProtocol::v2;
  });
  // A DNS name makes the certificate's CN (frontend.local), which the SSL TLV carries.
  const TestPki::Files client = f.pki.leaf("frontend", kFrontendId, {"frontend.local"});
  const proxy::ProbeResult r = f.connect(client);
  ASSERT_TRUE(r.handshake_ok) << r.error;

  const std::string& got = backend.received();
  ASSERT_GE(got.size(), 28u);
  const std::uint16_t client_port =
      std::uint16_t((std::uint8_t(got[24]) << 8) | std::uint8_t(got[25]));
  // The source is the TLS client, not the sidecar's own connection to us.
  EXPECT_NE(client_port, backend.sidecar_port());
  const std::string ssl =
      "\x07\x00\x00\x00\x00"s  // SSL | CERT_CONN | CERT_SESS, verify 0
      "\x21\x00\x07TLSv1.3"s   // PP2_SUBTYPE_SSL_VERSION
      "\x22\x00\x0E"
      "frontend.local"s                      // PP2_SUBTYPE_SSL_CN
      "\x23\x00\x16TLS_AES_128_GCM_SHA256"s  // PP2_SUBTYPE_SSL_CIPHER
      "\x24\x00\x11"
      "ecdsa-with-SHA256"s  // PP2_SUBTYPE_SSL_SIG_ALG
      "\x25\x00\x05"
      "EC256"s;  // PP2_SUBTYPE_SSL_KEY_ALG
  const std::string tlvs = "\x20"s + be16(std::uint16_t(ssl.size())) + ssl + "\xE1"s +
                           be16(std::uint16_t(kFrontendId.size())) + kFrontendId;
  const std::string addresses =
      "\x7F\x00\x00\x01\x7F\x00\x00\x01"s + be16(client_port) + be16(f.sidecar->port("in"));
  const std::string expected =
      "\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A"s  // signature
      "\x21\x11"s +                                        // v2 PROXY, TCP over IPv4
      be16(std::uint16_t(addresses.size() + tlvs.size())) +
      addresses + tlvs + "ping";
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace mtls::test
