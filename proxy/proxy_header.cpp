#include "proxy/proxy_header.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>

#include <algorithm>

namespace mtls::proxy {
namespace {

constexpr char kSignature[] = "\r\n\r\n\0\r\nQUIT\n";  // 12 bytes, the NUL included
constexpr std::uint8_t kVersion2Proxy = 0x21;          // version 2, command PROXY
constexpr std::uint8_t kTcp4 = 0x11;
constexpr std::uint8_t kTcp6 = 0x21;
constexpr std::uint8_t kTypeSsl = 0x20;
constexpr std::uint8_t kSubtypeVersion = 0x21;
constexpr std::uint8_t kSubtypeCn = 0x22;
constexpr std::uint8_t kSubtypeCipher = 0x23;
constexpr std::uint8_t kSubtypeSigAlg = 0x24;
constexpr std::uint8_t kSubtypeKeyAlg = 0x25;
constexpr std::uint8_t kClientSsl = 0x01;
constexpr std::uint8_t kClientCertConn = 0x02;
constexpr std::uint8_t kClientCertSess = 0x04;

void put16(std::string& out, std::size_t value) {
  out += char((value >> 8) & 0xff);
  out += char(value & 0xff);
}

// One TLV; a value longer than a TLV can carry is cut (none of ours comes close: a CN is at most
// 64 characters, a SPIFFE ID 2048 bytes).
void put_tlv(std::string& out, std::uint8_t type, std::string_view value) {
  value = value.substr(0, 0xffff);
  out += char(type);
  put16(out, value.size());
  out += value;
}

void put_address(std::string& out, const net::ip::address& a, bool v6) {
  if (v6) {
    const auto bytes = a.is_v6()
                           ? a.to_v6().to_bytes()
                           : net::ip::make_address_v6(net::ip::v4_mapped, a.to_v4()).to_bytes();
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  } else {
    const auto bytes = a.is_v4()
                           ? a.to_v4().to_bytes()
                           : net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).to_bytes();
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
}

bool is_v4(const net::ip::address& a) { return a.is_v4() || a.to_v6().is_v4_mapped(); }

// HAProxy's names: "RSA2048", "EC256", "DSA1024"; other key types by their short name ("ED25519").
std::string key_algorithm(EVP_PKEY* key) {
  if (key == nullptr) return {};
  const int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return "RSA" + std::to_string(bits);
    case EVP_PKEY_EC:
      return "EC" + std::to_string(bits);
    case EVP_PKEY_DSA:
      return "DSA" + std::to_string(bits);
    default:
      return OBJ_nid2sn(EVP_PKEY_get_base_id(key));
  }
}

}  // namespace

ProxyTlsFacts proxy_tls_facts(SSL* ssl, const certs::PeerIdentity& client) {
  ProxyTlsFacts f;
  f.version = SSL_get_version(ssl);
  f.cipher = SSL_get_cipher_name(ssl);
  if (X509* ours = SSL_get_certificate(ssl)) {
    f.sig_alg = OBJ_nid2sn(X509_get_signature_nid(ours));
    f.key_alg = key_algorithm(X509_get0_pubkey(ours));
  }
  f.common_name = client.common_name;
  f.spiffe_id = client.spiffe_id();
  f.resumed = SSL_session_reused(ssl) == 1;
  return f;
}

std::string proxy_v2_header(const tcp::endpoint& client, const tcp::endpoint& local,
                            const ProxyTlsFacts& tls) {
  std::string ssl;
  // Every client we forward presented a certificate that verified (verify = 0): in this
  // connection's handshake, or in the one whose session it resumed.
  ssl += char(kClientSsl | kClientCertSess | (tls.resumed ? 0 : kClientCertConn));
  ssl.append(4, '\0');
  put_tlv(ssl, kSubtypeVersion, tls.version);
  if (!tls.common_name.empty()) put_tlv(ssl, kSubtypeCn, tls.common_name);
  put_tlv(ssl, kSubtypeCipher, tls.cipher);
  if (!tls.sig_alg.empty()) put_tlv(ssl, kSubtypeSigAlg, tls.sig_alg);
  if (!tls.key_alg.empty()) put_tlv(ssl, kSubtypeKeyAlg, tls.key_alg);

  std::string body;
  const bool v6 = !is_v4(client.address()) || !is_v4(local.address());
  put_address(body, client.address(), v6);
  put_address(body, local.address(), v6);
  put16(body, client.port());
  put16(body, local.port());
  put_tlv(body, kTypeSsl, ssl);
  if (!tls.spiffe_id.empty()) put_tlv(body, kTypeSpiffeId, tls.spiffe_id);

  std::string out(kSignature, 12);
  out += char(kVersion2Proxy);
  out += char(v6 ? kTcp6 : kTcp4);
  put16(out, body.size());
  return out + body;
}

}  // namespace mtls::proxy
