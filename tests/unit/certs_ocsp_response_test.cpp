// What a stapled OCSP response must be to be believed, ours at load and servers' in the
// handshake: signed by the issuer, about this certificate, and current.
#include <gtest/gtest.h>

#include <ctime>

#include "certs/local_ca.hpp"
#include "certs/ocsp_response.hpp"
#include "certs/ocsp_staple.hpp"
#include "tests/support/ocsp_der.hpp"
#include "tests/support/test_pki.hpp"

namespace mtls::certs {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

struct Fixture {
  LocalCa ca = LocalCa::generate("ocsp test CA", "test.local");
  IssuedCertificate leaf = ca.issue(test::leaf_request("spiffe://test.local/web"));
  X509StorePtr anchors = make_ocsp_store({ca.certificate()});

  OcspStatus check(const std::string& der, X509* cert = nullptr) {
    return check_ocsp_response(der, cert ? cert : leaf.cert.get(), ca.certificate(), nullptr,
                               anchors.get(), std::time(nullptr));
  }
  std::string error(const std::string& der, X509* cert = nullptr) {
    try {
      check(der, cert);
      return "accepted";
    } catch (const OcspResponseError& e) {
      return e.what();
    }
  }
};

TEST(CertsOcspResponse, AcceptsAGoodResponseSignedByTheIssuer) {
  Fixture f;
  const std::time_t now = std::time(nullptr);
  const OcspStatus s = f.check(test::ocsp_der(f.leaf.cert.get(), f.ca, f.ca));
  EXPECT_EQ(s.status, OcspCertStatus::good);
  EXPECT_NEAR(double(s.next_update), double(now + 3600), 5);
  EXPECT_NEAR(double(s.this_update), double(now - 60), 5);
}

TEST(CertsOcspResponse, ReportsRevokedAndUnknown) {
  Fixture f;
  EXPECT_EQ(
      f.check(test::ocsp_der(f.leaf.cert.get(), f.ca, f.ca, {.status = OcspCertStatus::revoked}))
          .status,
      OcspCertStatus::revoked);
  EXPECT_EQ(
      f.check(test::ocsp_der(f.leaf.cert.get(), f.ca, f.ca, {.status = OcspCertStatus::unknown}))
          .status,
      OcspCertStatus::unknown);
}

TEST(CertsOcspResponse, RefusesAResponsePastItsNextUpdate) {
  Fixture f;
  const std::string stale = test::ocsp_der(f.leaf.cert.get(), f.ca, f.ca,
                                           {.this_update = -hours(2), .next_update = -hours(1)});
  EXPECT_NE(f.error(stale).find("past its nextUpdate"), std::string::npos) << f.error(stale);
  // Within the clock skew allowance it is still current.
  const std::string just = test::ocsp_der(f.leaf.cert.get(), f.ca, f.ca,
                                          {.this_update = -hours(1), .next_update = -seconds(60)});
  EXPECT_EQ(f.error(just), "accepted");
}

TEST(CertsOcspResponse, RefusesAResponseFromTheFuture) {
  Fixture f;
  const std::string early = test::ocsp_der(f.leaf.cert.get(), f.ca, f.ca,
                                           {.this_update = hours(1), .next_update = hours(2)});
  EXPECT_NE(f.error(early).find("is in the future"), std::string::npos) << f.error(early);
}

TEST(CertsOcspResponse, RefusesAResponseSignedByAnotherCa) {
  Fixture f;
  const LocalCa other = LocalCa::generate("other CA", "test.local");
  const std::string forged = test::ocsp_der(f.leaf.cert.get(), f.ca, other);
  EXPECT_NE(f.error(forged).find("does not verify"), std::string::npos) << f.error(forged);
}

TEST(CertsOcspResponse, RefusesAResponseAboutAnotherCertificate) {
  Fixture f;
  const IssuedCertificate other = f.ca.issue(test::leaf_request("spiffe://test.local/other"));
  const std::string about_other = test::ocsp_der(other.cert.get(), f.ca, f.ca);
  EXPECT_NE(f.error(about_other).find("is not about certificate"), std::string::npos)
      << f.error(about_other);
}

TEST(CertsOcspResponse, RefusesWhatIsNotAnOcspResponse) {
  Fixture f;
  EXPECT_EQ(f.error("not DER at all"), "not a DER OCSP response");
}

TEST(CertsOcspResponse, RefreshesAFetchedStapleAtHalfItsRemainingValidity) {
  const std::time_t now = 1'000'000;
  EXPECT_EQ(
      staple_refresh_delay(
          {.status = OcspCertStatus::good, .this_update = now - 100, .next_update = now + 3600},
          now),
      seconds(1800));
  EXPECT_EQ(staple_refresh_delay({.next_update = now + 4}, now), seconds(5));  // at least 5 s
  EXPECT_EQ(staple_refresh_delay({.next_update = now - 60}, now), seconds(5));
  EXPECT_EQ(staple_refresh_delay({.next_update = 0}, now), hours(1));
}

}  // namespace
}  // namespace mtls::certs
