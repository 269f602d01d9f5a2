#pragma once
// One TLS exchange between a server and a client SSL in memory (a BIO pair, no sockets), for
// tests of resumption and session caches: handshake, then one byte from the server so the
// client reads its ticket. Not thread-safe; each call uses fresh SSL objects.

#include <openssl/ssl.h>

#include <string>

#include "certs/openssl_ptr.hpp"
#include "config/config.hpp"

namespace mtls::test {

struct MemoryExchange {
  bool ok = false;       // both sides completed the handshake and the byte arrived
  bool resumed = false;  // the client resumed `session`
  // The client's PeerCheck verdict after the handshake ("ok" or why it refuses the server), as
  // the outbound's check_established reads it: a resumed handshake runs no verify callback.
  std::string client_reason;
};

struct MemoryExchangeOptions {
  int max_version = 0;      // e.g. TLS1_2_VERSION; 0 = the contexts' own
  bool clean_close = true;  // both send close_notify; false: freed mid-connection, as after a reset
  const config::PeerPolicy* client_policy = nullptr;  // the client's; nullptr: `policy`
};

// `session`: offered by the client when set; replaced by the client's newest session.
MemoryExchange exchange_in_memory(SSL_CTX* server, SSL_CTX* client,
                                  const config::PeerPolicy& policy, certs::SslSessionPtr& session,
                                  MemoryExchangeOptions options = {});

}  // namespace mtls::test
