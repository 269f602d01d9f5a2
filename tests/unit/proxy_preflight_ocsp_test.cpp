// trust.ocsp checks only servers (OpenSSL 3.0 servers never ask clients for their status):
// check-config and run warn, at the key's line, when no outbound listener could use it.
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "proxy/sidecar/preflight.hpp"

namespace mtls::proxy {
namespace {

const std::string kHead =
    "identity: { source: file, file: { cert: a.crt, key: a.key } }\n"
    "trust: { ca_bundle: ca.crt, ocsp: require }\n";
const std::string kInbound =
    "inbound: [{ name: web, listen: 127.0.0.1:8443, forward: 127.0.0.1:8080, "
    "allow: { any: true } }]\n";
const std::string kOutbound =
    "outbound: [{ name: api, listen: 127.0.0.1:15001, forward: api.local:8443, "
    "expect: { any: true } }]\n";

std::string ocsp_warning(const std::string& yaml) {
  const Preflight checked = preflight_before_run(config::load_string(yaml, "sidecar.yaml"));
  for (const config::Issue& w : checked.warnings)
    if (w.field == "trust.ocsp") return w.to_string();
  return "";
}

TEST(ProxyPreflightOcsp, WarnsWhenOnlyInboundListenersCouldUseIt) {
  EXPECT_EQ(ocsp_warning(kHead + kInbound),
            "sidecar.yaml:2:29: trust.ocsp: warning: checks only the servers outbound listeners "
            "connect to; this config has none (clients do not staple OCSP responses to a server)");
  EXPECT_EQ(ocsp_warning(kHead + kInbound + kOutbound), "");
}

TEST(ProxyPreflightOcsp, NoLongerRefusesOcspKeys) {
  const Preflight checked = preflight_before_run(config::load_string(
      "identity: { source: file, file: { cert: a.crt, key: a.key, ocsp_response: a.ocsp } }\n"
      "trust: { ca_bundle: ca.crt, ocsp: stapled }\n" +
          kOutbound,
      "sidecar.yaml"));
  for (const config::Issue& e : checked.errors) ADD_FAILURE() << e.to_string();
}

}  // namespace
}  // namespace mtls::proxy
