// x-forwarded-client-cert formatting (Envoy's rules) and the identity headers' replacement, on
// hand-made facts; the end-to-end test with a real peer is tests/integration/http_identity_test.

#include <gtest/gtest.h>

#include "proxy/http/head.hpp"
#include "proxy/http/identity_headers.hpp"

namespace mtls::proxy::http {
namespace {

PeerFacts facts() {
  PeerFacts f;
  f.by = "spiffe://demo.local/ns/default/sa/orders";
  f.hash = std::string(64, 'a');
  f.uri = "spiffe://demo.local/ns/default/sa/web";
  f.dns = {"web.local", "web.default.svc"};
  f.subject = "CN=web,O=Demo";
  return f;
}

TEST(Xfcc, EnvoysOrderWithOneDnsPairPerSan) {
  EXPECT_EQ(format_xfcc(facts()),
            "By=spiffe://demo.local/ns/default/sa/orders;Hash=" + std::string(64, 'a') +
                ";URI=spiffe://demo.local/ns/default/sa/web;DNS=web.local;DNS=web.default.svc");
}

TEST(Xfcc, QuotesValuesHoldingSeparatorsAndEscapesQuotes) {
  PeerFacts f = facts();
  f.by.clear();  // our certificate without a SPIFFE ID: By is left out, as Envoy does
  f.uri = "spiffe://demo.local/a;b=c";
  f.dns = {"x,y", "say\"hi\\"};
  EXPECT_EQ(format_xfcc(f),
            "Hash=" + std::string(64, 'a') +
                ";URI=\"spiffe://demo.local/a;b=c\";DNS=\"x,y\";DNS=\"say\\\"hi\\\\\"");
}

TEST(IdentityHeaders, IncomingCopiesAreRemovedBeforeOursAreSet) {
  Head h;
  h.fields = {{"Host", "x"},
              {"X-Forwarded-Client-Cert", "URI=spiffe://evil/x"},
              {"x-client-id", "spiffe://evil/x"},
              {"x-forwarded-client-cert", "again"},
              {"X-Other", "kept"}};
  config::IdentityHeaders names;
  names.spiffe_id = "x-client-id";
  names.subject = "x-client-subject";
  PeerFacts f = facts();
  f.xfcc = format_xfcc(f);
  apply_identity(h, f, names);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"Host", "x"},
      {"X-Other", "kept"},
      {"x-forwarded-client-cert", f.xfcc},
      {"x-client-id", "spiffe://demo.local/ns/default/sa/web"},
      {"x-client-subject", "CN=web,O=Demo"}};
  EXPECT_EQ(h.fields, want);
}

}  // namespace
}  // namespace mtls::proxy::http
