// inbound: and outbound: lists. Every list item becomes a listener, valid or not, so that
// config.inbound[i] and the path "inbound[i]" name the same thing for validate.cpp.

#include <algorithm>
#include <string>
#include <utility>

#include "config/names.hpp"
#include "config/quoted.hpp"
#include "config/schema.hpp"

namespace mtls::config::detail {
namespace {

void read_protocol(const MapReader& listener, Protocol& out) {
  const std::optional<Field> f = listener.get("protocol");
  std::string text;
  if (!f || !read_string(listener.diag(), *f, text)) return;
  if (text == "tcp") {
    out = Protocol::tcp;
  } else if (text == "http") {
    out = Protocol::http;
  } else {
    listener.diag().add(f->at, f->path, "unknown protocol \"" + text + "\"; expected tcp or http");
  }
}

void read_proxy_protocol(const MapReader& listener, ProxyProtocol& out) {
  const std::optional<Field> f = listener.get("proxy_protocol");
  std::string text;
  if (!f || !read_string(listener.diag(), *f, text)) return;
  if (text == "off" || text == "v2") {
    out = text == "v2" ? ProxyProtocol::v2 : ProxyProtocol::off;
  } else {
    listener.diag().add(f->at, f->path,
                        "unknown proxy_protocol \"" + text + "\"; expected off or v2");
  }
}

// A peer's SPIFFE ID; a bare trust domain is most likely meant for trust_domains.
bool check_peer_spiffe_id(std::string_view id, std::string& why) {
  if (check_spiffe_id(id, why)) return true;
  constexpr std::string_view kScheme = "spiffe://";
  const std::string_view domain = id.substr(std::min(id.size(), kScheme.size()));
  std::string unused;
  if (id.starts_with(kScheme) && check_trust_domain(domain, unused)) {
    why = quoted(id) + " has no path; to accept the whole trust domain use " + "trust_domains: [" +
          std::string(domain) + "]";
  }
  return false;
}

// An SPKI pin as Envoy's verify_certificate_spki and HPKP write it: standard base64 of a SHA-256
// digest, 44 characters ending in one '='. Hex is refused rather than guessed at, so one form is
// written everywhere and a digest of the wrong length is never silently truncated.
bool check_spki_pin(std::string_view pin, std::string& why) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string shown = quoted(pin);
  const bool hex = pin.size() == 64 &&
                   pin.find_first_not_of("0123456789abcdefABCDEF:") == std::string_view::npos;
  bool ok = pin.size() == 44 && pin[43] == '=';
  for (std::size_t i = 0; ok && i < 43; ++i) ok = kAlphabet.find(pin[i]) != std::string_view::npos;
  // The last digit carries 2 bits of padding, which must be zero in the canonical encoding.
  if (ok) ok = kAlphabet.find(pin[42]) % 4 == 0;
  if (ok) return true;
  why = shown + (hex ? " looks like hex; a pin is" : " is not") +
        " base64 of a SHA-256 digest (44 characters ending in '='); compute one with: openssl "
        "x509 -in peer.crt -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst "
        "-sha256 -binary | base64";
  return false;
}

// An empty or absent-but-written (null) policy is read as empty; validate.cpp explains why that
// is refused. Only a missing key is reported here. `routes` (inbound allow only) takes the
// policy's `routes:` list.
void read_policy(const MapReader& listener, std::string_view key, PeerPolicy& out,
                 std::vector<RouteRule>* routes = nullptr) {
  if (!listener.has(key)) {
    listener.require(key);
    return;
  }
  Diagnostics& diag = listener.diag();
  const MapReader policy = routes != nullptr
                               ? MapReader(diag, listener.get(key),
                                           {"any", "spiffe_ids", "trust_domains", "dns_names",
                                            "common_names", "spki_sha256", "routes"})
                               : MapReader(diag, listener.get(key),
                                           {"any", "spiffe_ids", "trust_domains", "dns_names",
                                            "common_names", "spki_sha256"});
  read_peer_fields(policy, out);
  if (routes == nullptr) {
    read_strings(diag, policy.get("spki_sha256"), out.spki_sha256, check_spki_pin);
  } else if (const std::optional<Field> f = policy.get("spki_sha256")) {
    // Known here only to say where it belongs: an inbound peer is admitted by its identity.
    diag.add(f->at, f->path, "spki_sha256 pins a server's key: outbound expect only");
  }
  if (routes != nullptr) read_routes(policy, *routes);
}

// `forward: original_dst` is not an address: the rest of read_common.
template <typename Listener>
void read_except_forward(const MapReader& listener, Listener& out) {
  listener.read("name", out.name, Need::required, check_listener_name);
  listener.read("listen", out.listen, 0, Need::required);  // port 0: ephemeral, for tests
  read_protocol(listener, out.protocol);
}

template <typename Listener>
void read_common(const MapReader& listener, Listener& out) {
  listener.read("name", out.name, Need::required, check_listener_name);
  listener.read("listen", out.listen, 0, Need::required);  // port 0: ephemeral, for tests
  listener.read("forward", out.forward, 1, Need::required);
  read_protocol(listener, out.protocol);
}

bool check_server_name(std::string_view name, std::string& why) {
  if (is_ip_literal(name)) {
    why = quoted(name) + " is an IP address; SNI carries only DNS names";
    return false;
  }
  return check_host_name(name, why);
}

// `forward: original_dst` instead of an address (outbound only).
bool is_original_dst(const MapReader& listener) {
  const std::optional<Field> f = listener.get("forward");
  return f && f->node.IsScalar() && f->node.Scalar() == "original_dst";
}

// destinations: [{match, server_name, expect}] of a `forward: original_dst` listener.
void read_destinations(const MapReader& listener, std::vector<OriginalDestination>& out) {
  const std::optional<Field> list = listener.get("destinations");
  if (!list) return;
  Diagnostics& diag = listener.diag();
  for (const Field& item : read_list(diag, *list)) {
    const MapReader entry(diag, item, {"match", "server_name", "expect"});
    OriginalDestination& destination = out.emplace_back();
    entry.read("match", destination.match, 1, Need::required);
    entry.read("server_name", destination.server_name, Need::optional, check_server_name);
    if (entry.has("expect")) {
      const MapReader policy(
          diag, entry.get("expect"),
          {"any", "spiffe_ids", "trust_domains", "dns_names", "common_names", "spki_sha256"});
      read_peer_fields(policy, destination.expect);
      read_strings(diag, policy.get("spki_sha256"), destination.expect.spki_sha256, check_spki_pin);
    }
  }
}

}  // namespace

void read_peer_fields(const MapReader& policy, PeerPolicy& out) {
  Diagnostics& diag = policy.diag();
  policy.read("any", out.any);
  read_strings(diag, policy.get("spiffe_ids"), out.spiffe_ids, check_peer_spiffe_id);
  read_strings(diag, policy.get("trust_domains"), out.trust_domains, check_trust_domain);
  read_strings(diag, policy.get("dns_names"), out.dns_names);  // matched as written: no syntax
  read_strings(diag, policy.get("common_names"), out.common_names);
}

void read_listeners(const MapReader& top, Config& out) {
  Diagnostics& diag = top.diag();
  if (const std::optional<Field> list = top.get("inbound")) {
    for (const Field& item : read_list(diag, *list)) {
      const MapReader listener(
          diag, item, {"name", "listen", "forward", "protocol", "proxy_protocol", "allow"});
      InboundListener& in = out.inbound.emplace_back();
      if (is_original_dst(listener)) {
        const Field f = *listener.get("forward");
        diag.add(f.at, f.path,
                 "original_dst is for outbound listeners (an inbound forwards to its local app)");
        read_except_forward(listener, in);
      } else {
        read_common(listener, in);
      }
      read_proxy_protocol(listener, in.proxy_protocol);
      read_policy(listener, "allow", in.allow, &in.routes);
    }
  }
  if (const std::optional<Field> list = top.get("outbound")) {
    for (const Field& item : read_list(diag, *list)) {
      const MapReader listener(diag, item,
                               {"name", "listen", "forward", "server_name", "verify_server_name",
                                "protocol", "expect", "destinations"});
      OutboundListener& outbound = out.outbound.emplace_back();
      if (is_original_dst(listener)) {
        outbound.original_dst = true;
        read_except_forward(listener, outbound);
      } else {
        read_common(listener, outbound);
      }
      read_destinations(listener, outbound.destinations);
      listener.read("server_name", outbound.server_name, Need::optional, check_server_name);
      listener.read("verify_server_name", outbound.verify_server_name);
      read_policy(listener, "expect", outbound.expect);
    }
  }
}

}  // namespace mtls::config::detail
