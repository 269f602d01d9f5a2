#pragma once
// One TLS exchange between a server and a client SSL in memory (a BIO pair, no sockets), for
// tests of resumption and session caches: handshake, then one byte from the server so the
// client reads its ticket. Not thread-safe; each call uses fresh SSL objects.

#include <openssl/ssl.h>

#include "certs/openssl_ptr.hpp"
#include "config/config.hpp"

namespace mtls::test {

struct MemoryExchange {
  bool ok = false;       // both sides completed the handshake and the byte arrived
  bool resumed = false;  // the client resumed `session`
};

struct MemoryExchangeOptions {
  int max_version = 0;      // e.g. TLS1_2_VERSION; 0 = the contexts' own
  bool clean_close = true;  // both send close_notify; false: freed mid-connection, as after a reset
};

// `session`: offered by the client when set; replaced by the client's newest session.
MemoryExchange exchange_in_memory(SSL_CTX* server, SSL_CTX* client,
                                  const config::PeerPolicy& policy, certs::SslSessionPtr& session,
                                  MemoryExchangeOptions options = {});

}  // namespace mtls::test
