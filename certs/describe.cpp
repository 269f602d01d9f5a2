#include "certs/describe.hpp"

#include <boost/json.hpp>

#include "certs/peer_identity.hpp"
#include "certs/x509_fields.hpp"

namespace mtls::certs {
namespace json = boost::json;
namespace {

json::object describe(X509* cert) {
  const PeerIdentity id = extract_identity(cert);
  const std::time_t not_after = to_time_t(X509_get0_notAfter(cert));
  json::array uris, dns;
  for (const auto& u : id.uris) uris.emplace_back(u);
  for (const auto& d : id.dns_names) dns.emplace_back(d);
  return {{"subject", subject_text(cert)},
          {"uri_sans", std::move(uris)},
          {"dns_sans", std::move(dns)},
          {"serial", serial_hex(cert)},
          {"not_before", rfc3339(to_time_t(X509_get0_notBefore(cert)))},
          {"not_after", rfc3339(not_after)},
          // Negative once expired. Saves whoever reads /certs the date arithmetic.
          {"expires_in_seconds", std::int64_t(not_after) - std::int64_t(std::time(nullptr))}};
}

}  // namespace

std::string rfc3339(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string describe_json(const TlsContexts* c, const ReloadResult& last, std::time_t last_attempt,
                          std::time_t next_renewal) {
  json::object doc;
  doc["last_reload"] = {
      {"at", last_attempt ? json::value(rfc3339(last_attempt)) : json::value(nullptr)},
      {"result", last.ok ? "success" : "failure"},
      {"error", last.reason}};
  if (!c) {
    doc["identity"] = nullptr;
    doc["trust"] = json::array();
    return json::serialize(doc);
  }
  json::object identity = describe(c->leaf.get());
  identity["source"] = c->source;
  if (next_renewal != 0) {
    identity["next_renewal"] = rfc3339(next_renewal);
    identity["renews_in_seconds"] = std::int64_t(next_renewal) - std::int64_t(std::time(nullptr));
  }
  doc["identity"] = std::move(identity);
  json::array trust;
  for (const auto& anchor : c->trust) trust.push_back(describe(anchor.get()));
  doc["trust"] = std::move(trust);
  return json::serialize(doc);
}

}  // namespace mtls::certs
