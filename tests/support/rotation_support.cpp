#include "tests/support/rotation_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::test {
namespace {

namespace fs = std::filesystem;

using X509RevokedPtr = std::unique_ptr<X509_REVOKED, certs::OpenSslDeleter<X509_REVOKED_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, certs::OpenSslDeleter<ASN1_TIME_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, certs::OpenSslDeleter<BN_free>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + certs::drain_openssl_errors());
}

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

certs::SslCtxPtr client_context(const TlsClientOptions& o) {
  certs::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  check(ctx != nullptr, "SSL_CTX_new");
  check(SSL_CTX_load_verify_locations(ctx.get(), o.ca_file.c_str(), nullptr) == 1, "ca_file");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  check(SSL_CTX_use_certificate_chain_file(ctx.get(), o.cert_file.c_str()) == 1, "cert_file");
  check(SSL_CTX_use_PrivateKey_file(ctx.get(), o.key_file.c_str(), SSL_FILETYPE_PEM) == 1, "key");
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  if (o.max_version != 0) SSL_CTX_set_max_proto_version(ctx.get(), o.max_version);
  return ctx;
}

std::string issuer_text(X509* cert) {
  certs::BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_issuer_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, std::size_t(n > 0 ? n : 0));
}

// Reads until `want` bytes arrived or the connection fails; TLS 1.3 tickets are processed here.
std::string read_reply(SSL* ssl, std::size_t want) {
  std::string reply;
  char buffer[4096];
  while (reply.size() < want) {
    const int n = SSL_read(ssl, buffer, int(sizeof buffer));
    if (n <= 0) break;
    reply.append(buffer, std::size_t(n));
  }
  return reply;
}

}  // namespace

SecretVolume::SecretVolume(std::string dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }

void SecretVolume::publish(const std::map<std::string, std::string>& files) {
  char stamp[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::snprintf(stamp, sizeof stamp, "..%04d_%02d_%02d_%02d_%02d_%02d.%09u", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ++generation_);
  fs::create_directory(path(stamp));
  for (const auto& [name, content] : files) {
    certs::write_file(path(stamp) + "/" + name, content, name.ends_with(".key") ? 0600 : 0644);
  }
  fs::create_symlink(stamp, path("..data_tmp"));
  fs::rename(path("..data_tmp"), path("..data"));  // the atomic swap
  for (const auto& [name, content] : files) {
    std::error_code exists;
    if (!fs::is_symlink(path(name), exists)) fs::create_symlink("..data/" + name, path(name));
  }
  if (!current_.empty()) fs::remove_all(path(current_));
  current_ = stamp;
}

IssuedPem issue_pem(const certs::LocalCa& ca, const std::string& spiffe_id,
                    const std::vector<std::string>& dns_names, std::chrono::seconds ttl,
                    std::chrono::seconds not_before_offset) {
  const certs::IssuedCertificate issued =
      ca.issue(leaf_request(spiffe_id, dns_names, ttl, not_before_offset));
  return {certs::to_pem(issued.cert.get()), certs::to_pem(issued.key.get()),
          certs::serial_hex(issued.cert.get())};
}

std::string crl_pem(const certs::LocalCa& ca, const std::vector<std::string>& serials,
                    std::chrono::seconds next_update) {
  certs::X509CrlPtr crl(X509_CRL_new());
  const std::time_t now = std::time(nullptr);
  Asn1TimePtr last(ASN1_TIME_set(nullptr, now - 60));
  Asn1TimePtr next(ASN1_TIME_set(nullptr, now + next_update.count()));
  check(crl && X509_CRL_set_version(crl.get(), 1) == 1 &&
            X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.certificate())) == 1 &&
            X509_CRL_set1_lastUpdate(crl.get(), last.get()) == 1 &&
            X509_CRL_set1_nextUpdate(crl.get(), next.get()) == 1,
        "CRL fields");
  for (const std::string& hex : serials) {
    BIGNUM* raw = nullptr;
    check(BN_hex2bn(&raw, hex.c_str()) > 0, "serial");
    BignumPtr bn(raw);
    X509RevokedPtr revoked(X509_REVOKED_new());
    ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(bn.get(), nullptr);
    check(serial && X509_REVOKED_set_serialNumber(revoked.get(), serial) == 1 &&
              X509_REVOKED_set_revocationDate(revoked.get(), last.get()) == 1,
          "revoked entry");
    ASN1_INTEGER_free(serial);
    check(X509_CRL_add0_revoked(crl.get(), revoked.release()) == 1, "add revoked");
  }
  X509_CRL_sort(crl.get());
  // The authority key identifier, as RFC 5280 requires of CAs: with two roots of one name (a
  // rotation), it is what tells their CRLs apart.
  X509V3_CTX ext_ctx;
  X509V3_set_ctx(&ext_ctx, ca.certificate(), nullptr, nullptr, crl.get(), 0);
  X509_EXTENSION* akid =
      X509V3_EXT_conf_nid(nullptr, &ext_ctx, NID_authority_key_identifier, "keyid:always");
  check(akid && X509_CRL_add_ext(crl.get(), akid, -1) == 1, "CRL authority key identifier");
  X509_EXTENSION_free(akid);
  check(X509_CRL_sign(crl.get(), ca.key(), EVP_sha256()) > 0, "CRL signature");
  certs::BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509_CRL(bio.get(), crl.get()) == 1, "CRL PEM");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, std::size_t(n));
}

TlsClientResult tls_client(const TlsClientOptions& o) {
  TlsClientResult result;
  ERR_clear_error();
  const certs::SslCtxPtr ctx = client_context(o);
  const int fd = connect_loopback(o.port);
  if (fd < 0) {
    result.error = "connect failed";
    return result;
  }
  certs::SslPtr ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), fd);
  if (o.session) SSL_set_session(ssl.get(), o.session);
  if (SSL_connect(ssl.get()) == 1) {
    result.handshake_ok = true;
    result.resumed = SSL_session_reused(ssl.get()) == 1;
    if (X509* server = SSL_get0_peer_certificate(ssl.get())) {
      result.server_serial = certs::serial_hex(server);
      result.server_issuer = issuer_text(server);
    }
    if (SSL_write(ssl.get(), o.send.data(), int(o.send.size())) == int(o.send.size())) {
      result.accepted = read_reply(ssl.get(), o.send.size()) == o.send;
    }
    SSL_SESSION* session = SSL_get1_session(ssl.get());
    if (session && SSL_SESSION_is_resumable(session)) {
      result.session.reset(session);
    } else {
      SSL_SESSION_free(session);
    }
    if (result.accepted && o.close_notify) SSL_shutdown(ssl.get());
  }
  if (!result.accepted) result.error = certs::drain_openssl_errors();
  ERR_clear_error();
  ::close(fd);
  return result;
}

TlsConnection::TlsConnection(const TlsClientOptions& o)
    : ctx_(client_context(o)), fd_(connect_loopback(o.port)) {
  ERR_clear_error();
  if (fd_ < 0) return;
  ssl_.reset(SSL_new(ctx_.get()));
  SSL_set_fd(ssl_.get(), fd_);
  handshake_ok_ = SSL_connect(ssl_.get()) == 1;
  ERR_clear_error();
}

TlsConnection::~TlsConnection() {
  ssl_.reset();
  if (fd_ >= 0) ::close(fd_);
}

bool TlsConnection::echo(const std::string& data) {
  if (!handshake_ok_ || SSL_write(ssl_.get(), data.data(), int(data.size())) != int(data.size())) {
    ERR_clear_error();
    return false;
  }
  const bool ok = read_reply(ssl_.get(), data.size()) == data;
  ERR_clear_error();
  return ok;
}

bool TlsConnection::closed_by_peer(std::chrono::milliseconds timeout) {
  if (!handshake_ok_) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char byte;
  for (;;) {
    // SO_RCVTIMEO (5 s) bounds each read; an open idle connection makes it time out.
    const int n = SSL_read(ssl_.get(), &byte, 1);
    const int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), n);
    ERR_clear_error();
    if (n <= 0 && !(error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) &&
        error != SSL_ERROR_WANT_READ)
      return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

}  // namespace mtls::test
