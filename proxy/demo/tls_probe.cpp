#include "proxy/demo/tls_probe.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "certs/openssl_ptr.hpp"
#include "certs/peer_identity.hpp"
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

bool handshake(SSL* ssl, ProbeResult& r) {
  ERR_clear_error();
  const int rc = SSL_connect(ssl);
  if (rc != 1) {
    r.error = describe_failure(ssl, rc, "handshake");
    return false;
  }
  r.handshake_ok = true;
  r.tls_version = SSL_get_version(ssl);
  r.cipher = SSL_get_cipher_name(ssl);
  if (X509* leaf = SSL_get0_peer_certificate(ssl))
    r.server_identity = certs::extract_identity(leaf).display();
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

void ssl_read_all(SSL* ssl, ProbeResult& r) {
  char buf[16384];
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(ssl, buf, sizeof buf);
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

ProbeResult tls_probe(const ProbeOptions& options, std::string_view send) {
  ProbeResult r;
  const SigpipeGuard guard;
  const certs::SslCtxPtr ctx = make_context(options, r.error);
  if (!ctx) return r;
  const demo::Fd fd =
      demo::connect_tcp(options.host, options.port, int(options.timeout.count()), r.error);
  if (!fd) return r;
  r.connected = true;

  const certs::SslPtr ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), fd.get());
  SSL_set_app_data(ssl.get(), &r);
  SSL_set_info_callback(ssl.get(), on_info);
  if (!options.server_name.empty())
    SSL_set_tlsext_host_name(ssl.get(), options.server_name.c_str());
  if (!handshake(ssl.get(), r)) return r;

  // In TLS 1.3 the server judges our certificate after our handshake is done: keep going, and
  // the refusal shows up as an alert on the read.
  if (ssl_send(ssl.get(), send, r) && options.half_close) {
    ERR_clear_error();
    SSL_shutdown(ssl.get());  // close_notify: our half only; the reply may still come
    ::shutdown(fd.get(), SHUT_WR);
  }
  ssl_read_all(ssl.get(), r);
  // Answer the server's close_notify with ours: a bare FIN is a truncated stream to the server.
  if (r.eof && !options.half_close) {
    ERR_clear_error();
    SSL_shutdown(ssl.get());
  }
  SSL_set_app_data(ssl.get(), nullptr);
  ERR_clear_error();
  return r;
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
