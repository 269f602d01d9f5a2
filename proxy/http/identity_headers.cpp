#include "proxy/http/identity_headers.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certs/openssl_ptr.hpp"
#include "proxy/http/head.hpp"

namespace mtls::proxy::http {
namespace {

std::string hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

std::string leaf_sha256(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  if (len <= 0) return {};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  const bool ok = EVP_Digest(der, std::size_t(len), digest, &n, EVP_sha256(), nullptr) == 1;
  OPENSSL_free(der);
  return ok ? hex(digest, n) : std::string();
}

std::string rfc2253(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, std::size_t(n > 0 ? n : 0));
  BIO_free(bio);
  return certs::printable(out);
}

void append_value(std::string& out, std::string_view value, bool always_quote) {
  const bool quote = always_quote || value.find_first_of(",;=\"") != std::string_view::npos;
  if (!quote) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out.append(",");
    out.append(s);
  }
  return out;
}

}  // namespace

PeerFacts peer_facts(SSL* ssl, const certs::PeerIdentity& peer) {
  PeerFacts f;
  if (X509* own = SSL_get_certificate(ssl))
    f.by = certs::printable(certs::extract_identity(own).spiffe_id());
  f.uri = peer.spiffe_id();
  if (f.uri.empty() && peer.uris.size() == 1) f.uri = peer.uris.front();
  f.uri = certs::printable(f.uri);
  for (const auto& d : peer.dns_names) f.dns.push_back(certs::printable(d));
  if (X509* leaf = SSL_get0_peer_certificate(ssl)) {
    f.hash = leaf_sha256(leaf);
    f.subject = rfc2253(leaf);
  }
  f.xfcc = format_xfcc(f);
  return f;
}

std::string format_xfcc(const PeerFacts& f) {
  std::string out;
  const auto pair = [&](std::string_view key, std::string_view value) {
    if (!out.empty()) out.push_back(';');
    out.append(key).push_back('=');
    append_value(out, value, false);
  };
  if (!f.by.empty()) pair("By", f.by);
  if (!f.hash.empty()) pair("Hash", f.hash);
  if (!f.uri.empty()) pair("URI", f.uri);
  for (const auto& d : f.dns) pair("DNS", d);
  return out;
}

void apply_identity(Head& head, const PeerFacts& f, const config::IdentityHeaders& names) {
  head.erase(kXfcc);
  const std::pair<const std::string&, std::string> simple[] = {{names.spiffe_id, f.uri},
                                                               {names.dns_names, join(f.dns)},
                                                               {names.subject, f.subject},
                                                               {names.hash, f.hash}};
  for (const auto& [name, value] : simple)
    if (!name.empty()) head.erase(name);
  head.fields.emplace_back(std::string(kXfcc), f.xfcc);
  for (const auto& [name, value] : simple)
    if (!name.empty() && !value.empty()) head.fields.emplace_back(name, value);
}

}  // namespace mtls::proxy::http
