// GET /certs: besides the RFC 3339 validity, every certificate says how many seconds it has
// left, so a script or an operator needs no date arithmetic to see what is about to expire.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <ctime>

#include "certs/describe.hpp"
#include "certs/local_ca.hpp"
#include "certs/tls_contexts.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

TEST(DescribeJson, GivesTheSecondsLeftOfTheIdentityAndOfEachAnchor) {
  const LocalCa ca = LocalCa::generate("describe test CA");
  LeafRequest request = test::leaf_request("spiffe://t/sa/web");
  request.ttl = std::chrono::hours(2);
  IssuedCertificate leaf = ca.issue(request);
  CertificateBundle b;
  b.leaf = std::move(leaf.cert);
  b.key = std::move(leaf.key);
  b.trust.push_back(share(ca.certificate()));
  b.source = "file";
  const auto contexts = make_tls_contexts(b, config::TlsConfig{});

  const std::time_t before = std::time(nullptr);
  const boost::json::value doc =
      boost::json::parse(describe_json(contexts.get(), {true, {}}, before));
  const std::time_t after = std::time(nullptr);
  const auto left = [](const boost::json::value& cert) {
    return cert.at("expires_in_seconds").to_number<std::int64_t>();
  };
  const std::int64_t identity_left = left(doc.at("identity"));
  EXPECT_LE(identity_left, contexts->not_after - before);
  EXPECT_GE(identity_left, contexts->not_after - after);
  EXPECT_GT(identity_left, 2 * 3600 - 60);  // two hours from issuance
  EXPECT_GT(left(doc.at("trust").at(0)), identity_left);
  EXPECT_FALSE(doc.at("identity").as_object().contains("next_renewal"));  // not renewed by us
}

TEST(DescribeJson, GivesTheNextRenewalOfAnIdentityThatRenewsItself) {
  const LocalCa ca = LocalCa::generate("describe test CA");
  IssuedCertificate leaf = ca.issue(test::leaf_request("spiffe://t/sa/web"));
  CertificateBundle b;
  b.leaf = std::move(leaf.cert);
  b.key = std::move(leaf.key);
  b.trust.push_back(share(ca.certificate()));
  b.source = "local_ca";
  const auto contexts = make_tls_contexts(b, config::TlsConfig{});
  const std::time_t now = std::time(nullptr);
  const boost::json::value doc =
      boost::json::parse(describe_json(contexts.get(), {true, {}}, now, now + 600));
  EXPECT_EQ(doc.at("identity").at("next_renewal").as_string(), rfc3339(now + 600));
  const std::int64_t in = doc.at("identity").at("renews_in_seconds").to_number<std::int64_t>();
  EXPECT_LE(in, 600);
  EXPECT_GE(in, 590);
}

}  // namespace
}  // namespace mtls::certs
