// Fuzz target: the scalar parsers of config/ and the SPIFFE name rules on both sides.
// Input: one value, as it would appear after YAML unquoting (NULs and all). Each input goes
// through every parser. Contract checked, beyond "no crash, no UB":
//  - parse_duration: a result is >= 0 and round-trips through "<ms>ms";
//  - parse_host_port: a result has a non-empty host without NUL and round-trips through
//    HostPort::to_string();
//  - config and certs agree on SPIFFE syntax: every ID config::check_spiffe_id accepts has the
//    trust domain certs::spiffe_trust_domain extracts, and every trust domain
//    config::check_trust_domain accepts is the domain certs sees in spiffe://<domain>/x. If
//    config accepted what certs rejects, the allow-list entry would silently never match.

#include <cstdint>
#include <string>

#include "certs/peer_identity.hpp"
#include "config/config.hpp"
#include "config/names.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace mtls;

void fuzz_duration(std::string_view text) {
  config::Duration d{};
  std::string why;
  if (!config::parse_duration(text, d, why)) {
    FUZZ_CHECK(!why.empty(), "refused without a reason");
    return;
  }
  FUZZ_CHECK(d.count() >= 0, "negative duration from " + std::string(text));
  config::Duration again{};
  FUZZ_CHECK(config::parse_duration(std::to_string(d.count()) + "ms", again, why) && again == d,
             "duration does not round-trip: " + std::string(text));
}

void fuzz_host_port(std::string_view text) {
  config::HostPort hp;
  std::string why;
  if (!config::parse_host_port(text, hp, why)) {
    FUZZ_CHECK(!why.empty(), "refused without a reason");
    return;
  }
  FUZZ_CHECK(!hp.host.empty(), "empty host from " + std::string(text));
  FUZZ_CHECK(
      hp.host.find('\0') == std::string::npos,
      "host with a NUL byte accepted; C APIs would use \"" + std::string(hp.host.c_str()) + "\"");
  config::HostPort again;
  FUZZ_CHECK(config::parse_host_port(hp.to_string(), again, why) && again == hp,
             "host:port does not round-trip: " + hp.to_string() + " " + why);
}

void fuzz_spiffe(std::string_view text) {
  std::string why;
  const std::string id(text);
  if (config::detail::check_spiffe_id(text, why)) {
    const std::string rest = id.substr(9);
    FUZZ_CHECK(certs::spiffe_trust_domain(id) == rest.substr(0, rest.find('/')),
               "config accepts SPIFFE ID " + id + ", certs disagrees on its trust domain");
  }
  if (config::detail::check_trust_domain(text, why)) {
    FUZZ_CHECK(certs::spiffe_trust_domain("spiffe://" + id + "/x") == id,
               "config accepts trust domain " + id + ", certs does not");
  }
  const std::string domain = certs::spiffe_trust_domain(id);
  FUZZ_CHECK(domain.empty() || id.starts_with("spiffe://" + domain), id);
}

void fuzz_names(std::string_view text) {
  std::string why;
  config::detail::check_host_name(text, why);
  config::detail::check_listener_name(text, why);
  config::detail::check_env_name(text, why);
  config::detail::check_acm_arn(text, why);
  config::detail::check_aws_region(text, why);
  config::detail::check_endpoint_url(text, why);
  config::detail::is_ip_literal(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  fuzz_duration(text);
  fuzz_host_port(text);
  fuzz_spiffe(text);
  fuzz_names(text);
  return 0;
}
