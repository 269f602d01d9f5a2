#include "proxy/demo/tls_probe.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "certs/openssl_ptr.hpp"
#include "certs/peer_identity.hpp"
#include "certs/x509_fields.hpp"
#include "proxy/demo/demo_sockets.hpp"

namespace mtls::proxy {
namespace {

// OpenSSL writes to its socket with write(2), so a server that already hung up would kill the
// whole process with SIGPIPE. Block it for this thread only and swallow the one we caused, so
// callers (tests, the CLI) need not change process-wide signal handling.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    was_pending_ = pending();
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (!was_pending_ && pending()) {
      const timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  static bool pending() {
    sigset_t set;
    sigpending(&set);
    return sigismember(&set, SIGPIPE) == 1;
  }
  sigset_t pipe_{}, old_{};
  bool was_pending_ = false;
};

// OpenSSL 3.0 names no alert added by TLS 1.3 (RFC 8446 §6.2): "unknown" would hide the very
// reason a client without a certificate is refused.
std::string alert_text(int alert) {
  const int desc = alert & 0xff;
  const std::string known = SSL_alert_desc_string_long(alert);
  if (known != "unknown") return known;
  switch (desc) {
    case 109:
      return "missing extension";
    case 116:
      return "certificate required";
    case 120:
      return "no application protocol";
    default:
      return "alert " + std::to_string(desc);
  }
}

// The alert is what tells a person *why* a server refused (TLS 1.3 refusals arrive after the
// client's handshake already succeeded); close_notify is an orderly end, not a refusal.
void on_info(const SSL* ssl, int where, int ret) {
  // SSL_CB_READ_ALERT shares bits with SSL_CB_WRITE_ALERT: compare the whole mask, or our own
  // alert would be reported as the server's.
  if ((where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT || (ret & 0xff) == SSL_AD_CLOSE_NOTIFY)
    return;
  auto* result = static_cast<ProbeResult*>(SSL_get_app_data(ssl));
  if (result && result->alert.empty()) result->alert = alert_text(ret);
}

std::string describe_failure(SSL* ssl, int ret, const char* stage) {
  const int saved_errno = errno;
  const int code = SSL_get_error(ssl, ret);
  std::string why;
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
    why = "timed out";  // SO_RCVTIMEO/SO_SNDTIMEO expired: the socket said "try again"
  } else if (const unsigned long e = ERR_peek_error()) {
    const char* reason = ERR_reason_error_string(e);
    why = reason ? reason : "OpenSSL error";
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) why += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  } else if (code == SSL_ERROR_SYSCALL && saved_errno != 0) {
    why = std::strerror(saved_errno);
  } else {
    why = "connection closed by the server";
  }
  ERR_clear_error();
  return std::string(stage) + ": " + why;
}

bool is_legacy(int version) { return version != 0 && version < TLS1_2_VERSION; }

certs::SslCtxPtr make_context(const ProbeOptions& o, std::string& error) {
  ERR_clear_error();
  certs::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return error = "SSL_CTX_new: " + certs::drain_openssl_errors(), nullptr;
  // Sessions are handed to the caller (ProbeResult::session), never kept in a cache of ours.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  if (o.min_version) SSL_CTX_set_min_proto_version(ctx.get(), o.min_version);
  if (o.max_version) SSL_CTX_set_max_proto_version(ctx.get(), o.max_version);
  // At its default security level OpenSSL 3 will not even offer TLS 1.0/1.1; a caller asking
  // for them wants to see the *server* refuse, not its own library.
  if (is_legacy(o.min_version) || is_legacy(o.max_version))
    SSL_CTX_set_cipher_list(ctx.get(), "DEFAULT@SECLEVEL=0");
  if (!o.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), o.ca_file.c_str(), nullptr) != 1)
      return error = o.ca_file + ": " + certs::drain_openssl_errors(), nullptr;
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (!o.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.cert_file.c_str()) != 1)
      return error = o.cert_file + ": " + certs::drain_openssl_errors(), nullptr;
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), o.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1)
      return error = o.key_file + ": " + certs::drain_openssl_errors(), nullptr;
  }
  return ctx;
}

std::string issuer_text(X509* cert) {
  const certs::BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_issuer_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, std::size_t(n > 0 ? n : 0));
}

bool handshake(SSL* ssl, ProbeResult& r) {
  ERR_clear_error();
  const int rc = SSL_connect(ssl);
  if (rc != 1) {
    r.error = describe_failure(ssl, rc, "handshake");
    return false;
  }
  r.handshake_ok = true;
  r.resumed = SSL_session_reused(ssl) == 1;
  r.tls_version = SSL_get_version(ssl);
  r.cipher = SSL_get_cipher_name(ssl);
  if (X509* leaf = SSL_get0_peer_certificate(ssl)) {
    r.server_identity = certs::extract_identity(leaf).display();
    r.server_serial = certs::serial_hex(leaf);
    r.server_issuer = issuer_text(leaf);
  }
  const unsigned char* staple = nullptr;
  const long staple_len = SSL_get_tlsext_status_ocsp_resp(ssl, &staple);
  if (staple != nullptr && staple_len > 0)
    r.ocsp_response.assign(reinterpret_cast<const char*>(staple), std::size_t(staple_len));
  return true;
}

bool ssl_send(SSL* ssl, std::string_view data, ProbeResult& r) {
  while (!data.empty()) {
    ERR_clear_error();
    const int n = SSL_write(ssl, data.data(), int(data.size()));
    if (n <= 0) return r.error = describe_failure(ssl, n, "send"), false;
    data.remove_prefix(std::size_t(n));
  }
  return true;
}

// Reads until `want` more bytes arrived (0: until the end), the connection ended or failed.
void ssl_read(SSL* ssl, std::size_t want, ProbeResult& r) {
  char buf[16384];
  const std::size_t goal = r.reply.size() + want;
  while (want == 0 || r.reply.size() < goal) {
    ERR_clear_error();
    const std::size_t room = want == 0 ? sizeof buf : std::min(sizeof buf, goal - r.reply.size());
    const int n = SSL_read(ssl, buf, int(room));
    if (n > 0) {
      r.reply.append(buf, std::size_t(n));
      continue;
    }
    if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN) {
      r.eof = true;
      return;
    }
    // The read's error wins over a failed send: it usually carries the server's alert.
    r.error = describe_failure(ssl, n, "read");
    return;
  }
}

// A TLS alert record sent in the clear (e.g. to a plaintext client): 15 03 0x 00 02 level desc.
std::string plaintext_alert(const std::string& reply) {
  if (reply.size() != 7 || reply[0] != 0x15 || reply[1] != 0x03 || reply[4] != 0x02) return {};
  return alert_text(static_cast<unsigned char>(reply[6]));
}

}  // namespace

ProbeConnection::ProbeConnection(const ProbeOptions& options) : options_(options) {
  const SigpipeGuard guard;
  ctx_ = make_context(options_, result_.error);
  if (!ctx_) return;
  demo::Fd fd =
      demo::connect_tcp(options_.host, options_.port, int(options_.timeout.count()), result_.error);
  if (!fd) return;
  result_.connected = true;
  fd_ = fd.release();
  ssl_.reset(SSL_new(ctx_.get()));
  SSL_set_fd(ssl_.get(), fd_);
  SSL_set_app_data(ssl_.get(), &result_);
  SSL_set_info_callback(ssl_.get(), on_info);
  if (!options_.server_name.empty())
    SSL_set_tlsext_host_name(ssl_.get(), options_.server_name.c_str());
  if (options_.session) SSL_set_session(ssl_.get(), options_.session);
  if (options_.ocsp_status) SSL_set_tlsext_status_type(ssl_.get(), TLSEXT_STATUSTYPE_ocsp);
  handshake(ssl_.get(), result_);
  ERR_clear_error();
}

ProbeConnection::~ProbeConnection() {
  leave();
  ssl_.reset();
  if (fd_ >= 0) ::close(fd_);
}

bool ProbeConnection::send(std::string_view data) {
  if (!result_.handshake_ok) return false;
  const SigpipeGuard guard;
  return ssl_send(ssl_.get(), data, result_);
}

std::string ProbeConnection::read(std::size_t n) {
  if (!result_.handshake_ok || n == 0) return {};
  const std::size_t before = result_.reply.size();
  ssl_read(ssl_.get(), n, result_);
  return result_.reply.substr(before);
}

bool ProbeConnection::closed_by_peer(std::chrono::milliseconds timeout) {
  if (!result_.handshake_ok) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char byte;
  for (;;) {
    // The socket's receive timeout bounds each read; an open idle connection makes it time out.
    ERR_clear_error();
    const int n = SSL_read(ssl_.get(), &byte, 1);
    const int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), n);
    const bool timed_out =
        error == SSL_ERROR_WANT_READ ||
        (error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK));
    ERR_clear_error();
    if (n <= 0 && !timed_out) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

void ProbeConnection::read_to_end() { ssl_read(ssl_.get(), options_.reply_size, result_); }

// The session to offer next (TLS 1.3 tickets arrive with the first reads), then close_notify:
// a bare FIN is a truncated stream to the server, which only a caller asking for it gets.
void ProbeConnection::leave() {
  if (left_ || !ssl_) return;
  left_ = true;
  const SigpipeGuard guard;
  if (result_.handshake_ok && !result_.session) {
    SSL_SESSION* session = SSL_get1_session(ssl_.get());
    if (session && SSL_SESSION_is_resumable(session) == 1) {
      result_.session.reset(session, SSL_SESSION_free);
    } else {
      SSL_SESSION_free(session);
    }
  }
  if (result_.handshake_ok && options_.close_notify && !options_.half_close &&
      result_.error.empty()) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
  }
  SSL_set_app_data(ssl_.get(), nullptr);
  ERR_clear_error();
}

ProbeResult tls_probe(const ProbeOptions& options, std::string_view send) {
  ProbeConnection c(options);
  if (!c.handshake_ok()) {
    c.leave();
    return c.result_;
  }
  const SigpipeGuard guard;
  // In TLS 1.3 the server judges our certificate after our handshake is done: keep going, and
  // the refusal shows up as an alert on the read.
  if (ssl_send(c.ssl_.get(), send, c.result_) && options.half_close) {
    ERR_clear_error();
    if (options.close_notify) SSL_shutdown(c.ssl_.get());  // our half only; the reply may come
    ::shutdown(c.fd_, SHUT_WR);
  }
  c.read_to_end();
  c.leave();
  return c.result_;
}

ProbeResult plain_probe(const ProbeOptions& options, std::string_view send) {
  ProbeResult r;
  const demo::Fd fd =
      demo::connect_tcp(options.host, options.port, int(options.timeout.count()), r.error);
  if (!fd) return r;
  r.connected = true;
  r.handshake_ok = true;  // there is no handshake: "the connection was established"
  if (!demo::send_all(fd.get(), send)) r.error = std::string("send: ") + std::strerror(errno);
  if (options.half_close) ::shutdown(fd.get(), SHUT_WR);
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n > 0) {
      r.reply.append(buf, std::size_t(n));
      continue;
    }
    if (n == 0) {
      r.eof = true;
    } else if (errno == EINTR) {
      continue;
    } else {
      r.error = errno == EAGAIN || errno == EWOULDBLOCK
                    ? "read: timed out"
                    : std::string("read: ") + std::strerror(errno);
    }
    break;
  }
  r.alert = plaintext_alert(r.reply);
  return r;
}

}  // namespace mtls::proxy
