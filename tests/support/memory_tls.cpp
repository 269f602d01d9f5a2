#include "tests/support/memory_tls.hpp"

#include <gtest/gtest.h>

#include "certs/peer_check.hpp"

namespace mtls::test {

MemoryExchange exchange_in_memory(SSL_CTX* server_ctx, SSL_CTX* client_ctx,
                                  const config::PeerPolicy& policy, certs::SslSessionPtr& session,
                                  MemoryExchangeOptions options) {
  certs::SslPtr server(SSL_new(server_ctx)), client(SSL_new(client_ctx));
  certs::PeerCheck server_check(policy),
      client_check(options.client_policy ? *options.client_policy : policy);
  server_check.attach(server.get());
  client_check.attach(client.get());
  BIO *client_bio = nullptr, *server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  if (options.max_version) SSL_set_max_proto_version(client.get(), options.max_version);
  if (session) SSL_set_session(client.get(), session.get());
  bool client_done = false, server_done = false;
  for (int i = 0; i < 50 && !(client_done && server_done); ++i) {
    client_done = client_done || SSL_do_handshake(client.get()) == 1;
    server_done = server_done || SSL_do_handshake(server.get()) == 1;
  }
  MemoryExchange out;
  if (!(client_done && server_done)) {
    ADD_FAILURE() << "handshake: " << certs::drain_openssl_errors();
    return out;
  }
  char byte = 'x';
  out.ok = SSL_write(server.get(), &byte, 1) == 1 && SSL_read(client.get(), &byte, 1) == 1;
  out.resumed = SSL_session_reused(client.get()) == 1;
  out.client_reason = client_check.finish(client.get()).reason;
  session.reset(SSL_get1_session(client.get()));
  if (options.clean_close) {
    // Freed without close_notify, OpenSSL marks the session not resumable (and the server side
    // asks its cache to drop it).
    SSL_shutdown(client.get());
    SSL_shutdown(server.get());
  }
  return out;
}

}  // namespace mtls::test
