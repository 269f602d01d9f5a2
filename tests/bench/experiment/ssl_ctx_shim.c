// LD_PRELOAD experiment: what the sidecar would cost with extra SSL_CTX settings (env-selected).
//   EXP_NO_AUTO_CHAIN: SSL_MODE_NO_AUTO_CHAIN on every context (do not send the trust anchor)
//   EXP_STATEFUL: when tickets are enabled (num_tickets > 0), make them stateful: SSL_OP_NO_TICKET
//                 (TLS 1.3: OpenSSL then issues session-ID tickets from its server cache)
//   EXP_READ_AHEAD: SSL_CTX_set_read_ahead(1) + 64 KiB default read buffer
#define _GNU_SOURCE
#include <dlfcn.h>
#include <openssl/ssl.h>
#include <stdlib.h>
long SSL_CTX_ctrl(SSL_CTX* ctx, int cmd, long larg, void* parg) {
  static long (*real)(SSL_CTX*, int, long, void*);
  if (!real) real = (long (*)(SSL_CTX*, int, long, void*))dlsym(RTLD_NEXT, "SSL_CTX_ctrl");
  if (cmd == SSL_CTRL_MODE && getenv("EXP_NO_AUTO_CHAIN")) larg |= SSL_MODE_NO_AUTO_CHAIN;
  if (cmd == SSL_CTRL_MODE && getenv("EXP_READ_AHEAD")) {
    real(ctx, SSL_CTRL_SET_READ_AHEAD, 1, NULL);
    SSL_CTX_set_default_read_buffer_len(ctx, 64 * 1024);
  }
  return real(ctx, cmd, larg, parg);
}
int SSL_CTX_set_num_tickets(SSL_CTX* ctx, size_t n) {
  static int (*real)(SSL_CTX*, size_t);
  if (!real) real = (int (*)(SSL_CTX*, size_t))dlsym(RTLD_NEXT, "SSL_CTX_set_num_tickets");
  if (n > 0 && getenv("EXP_STATEFUL")) SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  return real(ctx, n);
}
