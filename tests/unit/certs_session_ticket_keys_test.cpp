// SessionTicketKeys: a ticket issued under one set of contexts resumes on contexts built later
// with the same keys (an identity swap) or with the keys rotated once; not after two rotations,
// and not on contexts with their own keys. In-memory handshakes over a BIO pair.
#include <gtest/gtest.h>
#include <openssl/err.h>

#include "certs/peer_check.hpp"
#include "certs/tls_contexts.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

class TicketTest : public ::testing::Test {
 protected:
  TicketTest() : ca_(LocalCa::generate("ticket test CA")) { policy_.any = true; }

  std::shared_ptr<const TlsContexts> contexts(std::shared_ptr<const SessionTicketKeys> keys) {
    CertificateBundle b;
    IssuedCertificate leaf = ca_.issue(test::leaf_request("spiffe://t/sa/web", {"web"}));
    b.leaf = std::move(leaf.cert);
    b.key = std::move(leaf.key);
    b.trust.push_back(share(ca_.certificate()));
    b.origin = "test";
    return make_tls_contexts(b, config::TlsConfig{}, std::move(keys));
  }

  // One full exchange: handshake, then a byte from the server so the client reads the ticket.
  // Returns whether the client resumed; `session` receives the newest session.
  bool exchange(const TlsContexts& server_side, const TlsContexts& client_side,
                SslSessionPtr& session) {
    SslPtr server(SSL_new(server_side.server.get())), client(SSL_new(client_side.client.get()));
    PeerCheck server_check(policy_), client_check(policy_);
    server_check.attach(server.get());
    client_check.attach(client.get());
    BIO *client_bio = nullptr, *server_bio = nullptr;
    BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
    SSL_set_bio(client.get(), client_bio, client_bio);
    SSL_set_bio(server.get(), server_bio, server_bio);
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(server.get());
    if (session) SSL_set_session(client.get(), session.get());
    bool client_done = false, server_done = false;
    for (int i = 0; i < 50 && !(client_done && server_done); ++i) {
      client_done = client_done || SSL_do_handshake(client.get()) == 1;
      server_done = server_done || SSL_do_handshake(server.get()) == 1;
    }
    EXPECT_TRUE(client_done && server_done) << drain_openssl_errors();
    char byte = 'x';
    EXPECT_EQ(SSL_write(server.get(), &byte, 1), 1);
    EXPECT_EQ(SSL_read(client.get(), &byte, 1), 1);
    session.reset(SSL_get1_session(client.get()));
    // Freed without close_notify, OpenSSL would mark the session not resumable.
    SSL_shutdown(client.get());
    return SSL_session_reused(client.get()) == 1;
  }

  LocalCa ca_;
  config::PeerPolicy policy_;
};

TEST_F(TicketTest, ATicketSurvivesAnIdentitySwapWithTheSameKeys) {
  const auto keys = SessionTicketKeys::generate();
  const auto before = contexts(keys), after = contexts(keys);
  SslSessionPtr session;
  EXPECT_FALSE(exchange(*before, *before, session));
  EXPECT_TRUE(exchange(*after, *before, session));
}

TEST_F(TicketTest, ATicketSurvivesOneRotationButNotTwo) {
  const auto keys = SessionTicketKeys::generate();
  const auto first = contexts(keys);
  SslSessionPtr session;
  exchange(*first, *first, session);
  SslSessionPtr copy(SSL_SESSION_dup(session.get()));
  const auto once = keys->rotated();
  EXPECT_TRUE(exchange(*contexts(once), *first, session));
  EXPECT_FALSE(exchange(*contexts(once->rotated()->rotated()), *first, copy));
}

TEST_F(TicketTest, ContextsWithoutSharedKeysDoNotResumeEachOthersTickets) {
  const auto first = contexts(nullptr), second = contexts(nullptr);
  SslSessionPtr session;
  exchange(*first, *first, session);
  EXPECT_FALSE(exchange(*second, *first, session));
}

TEST_F(TicketTest, RotationKeepsTheOldCurrentKeyAsThePreviousOne) {
  const auto keys = SessionTicketKeys::generate();
  const auto next = keys->rotated();
  ASSERT_TRUE(next->previous().has_value());
  EXPECT_EQ(next->previous()->name, keys->current().name);
  EXPECT_NE(next->current().name, keys->current().name);
  EXPECT_FALSE(keys->previous().has_value());
}

}  // namespace
}  // namespace mtls::certs
