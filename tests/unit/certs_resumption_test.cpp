// The resumption bound stamped on an SSL_SESSION: set once, kept by the copies OpenSSL makes of
// a session (a ticket renewed on a resumed handshake is one), refused from the bound on.
#include <gtest/gtest.h>

#include "certs/openssl_ptr.hpp"
#include "certs/resumption.hpp"

namespace mtls::certs {
namespace {

using namespace std::chrono_literals;

TEST(Resumption, ASessionResumesUntilItsBoundAndNotFromIt) {
  SslSessionPtr session(SSL_SESSION_new());
  const WallClock::time_point now = WallClock::now();
  stamp_resume_deadline(session.get(), 90s, now);
  EXPECT_TRUE(may_resume(session.get(), now + 89s));
  EXPECT_FALSE(may_resume(session.get(), now + 90s));
}

TEST(Resumption, AStampedBoundIsNeverMovedLater) {
  SslSessionPtr session(SSL_SESSION_new());
  const WallClock::time_point now = WallClock::now();
  stamp_resume_deadline(session.get(), 90s, now);
  stamp_resume_deadline(session.get(), 90s, now + 60s);  // as a renewal would try
  EXPECT_FALSE(may_resume(session.get(), now + 100s));
}

TEST(Resumption, ACopyOfASessionKeepsItsBound) {
  SslSessionPtr session(SSL_SESSION_new());
  const WallClock::time_point now = WallClock::now();
  stamp_resume_deadline(session.get(), 90s, now);
  SslSessionPtr copy(SSL_SESSION_dup(session.get()));
  ASSERT_TRUE(copy);
  EXPECT_EQ(resume_deadline(copy.get()), resume_deadline(session.get()));
  stamp_resume_deadline(copy.get(), 90s, now + 60s);
  EXPECT_FALSE(may_resume(copy.get(), now + 100s));
}

TEST(Resumption, ASessionWithoutABoundDoesNotResume) {
  SslSessionPtr session(SSL_SESSION_new());
  EXPECT_FALSE(may_resume(session.get(), WallClock::now()));
}

}  // namespace
}  // namespace mtls::certs
