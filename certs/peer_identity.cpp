#include "certs/peer_identity.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <string_view>

namespace mtls::certs {
namespace {

constexpr std::string_view kSpiffeScheme = "spiffe://";

bool is_trust_domain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

bool is_path_char(char c) { return is_trust_domain_char(c) || (c >= 'A' && c <= 'Z'); }

// SPIFFE-ID spec §2: segments of [A-Za-z0-9._-], none empty, "." or ".."; no trailing slash.
// Query, fragment and percent-encoding are excluded by the character set.
bool is_valid_spiffe_path(std::string_view path) {
  while (!path.empty()) {
    if (path.front() != '/') return false;
    path.remove_prefix(1);
    const std::string_view segment = path.substr(0, path.find('/'));
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (!std::all_of(segment.begin(), segment.end(), is_path_char)) return false;
    path.remove_prefix(segment.size());
  }
  return true;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool contains_ignoring_case(const std::vector<std::string>& list, std::string_view value) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& item) { return iequals(item, value); });
}

std::string ia5_text(const ASN1_IA5STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

// Only an unambiguous CN counts: with two CN entries, which one "is" the peer depends on the
// reader, so we take neither.
std::string single_common_name(X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length < 0) {
    ERR_clear_error();
    return {};
  }
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return cn;
}

// Length of the well-formed UTF-8 sequence (no overlong forms, surrogates or code points past
// U+10FFFF) at the start of `s`, 0 when there is none.
std::size_t utf8_sequence(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(0);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 == 0xe0) lo = 0xa0;
    if (b0 == 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 == 0xf0) lo = 0x90;
    if (b0 == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return n;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (const std::string& item : items) {
    if (!text.empty()) text += separator;
    text += printable(item);
  }
  return text;
}

// "spiffe://x/y (DNS a, b; CN c)": everything a reader needs to see why nothing matched.
std::string describe(const PeerIdentity& peer) {
  std::vector<std::string> parts;
  if (!peer.uris.empty()) parts.push_back(join(peer.uris, ", "));
  if (!peer.dns_names.empty()) parts.push_back("DNS " + join(peer.dns_names, ", "));
  if (!peer.common_name.empty()) parts.push_back("CN " + printable(peer.common_name));
  if (parts.empty()) return "-";
  std::string text = parts.front();
  parts.erase(parts.begin());
  return parts.empty() ? text : text + " (" + join(parts, "; ") + ")";
}

std::string checked_lists(const config::PeerPolicy& policy) {
  std::vector<std::string> lists;
  if (!policy.spiffe_ids.empty()) lists.push_back("spiffe_ids");
  if (!policy.trust_domains.empty()) lists.push_back("trust_domains");
  if (!policy.dns_names.empty()) lists.push_back("dns_names");
  if (!policy.common_names.empty()) lists.push_back("common_names");
  return lists.empty() ? "an empty policy" : join(lists, " or ");
}

bool has_sans(const PeerIdentity& peer) { return !peer.uris.empty() || !peer.dns_names.empty(); }

Verdict allow(std::string detail) { return {.allowed = true, .reason = "ok", .detail = detail}; }

Verdict match(const PeerIdentity& peer, const config::PeerPolicy& policy) {
  const std::string id = peer.spiffe_id();
  if (!id.empty() && contains(policy.spiffe_ids, id)) return allow(id + " is in spiffe_ids");
  const std::string domain = id.empty() ? "" : spiffe_trust_domain(id);
  if (!domain.empty() && contains_ignoring_case(policy.trust_domains, domain)) {
    return allow("trust domain " + domain + " is in trust_domains");
  }
  for (const std::string& name : peer.dns_names) {
    if (contains_ignoring_case(policy.dns_names, name)) {
      return allow("DNS " + printable(name) + " is in dns_names");
    }
  }
  // RFC 6125 §6.4.4: the CN names the peer only when the certificate has no SANs; otherwise
  // a CA that puts "orders" in the CN of spiffe://x/ns/evil/sa/orders would pass as "orders".
  if (!has_sans(peer) && !peer.common_name.empty() &&
      contains(policy.common_names, peer.common_name)) {
    return allow("CN " + printable(peer.common_name) + " is in common_names");
  }
  return {};
}

}  // namespace

std::string spiffe_trust_domain(const std::string& uri) {
  if (!std::string_view(uri).starts_with(kSpiffeScheme)) return {};
  const std::string_view rest = std::string_view(uri).substr(kSpiffeScheme.size());
  const size_t slash = rest.find('/');
  const std::string_view domain = rest.substr(0, slash);
  if (domain.empty() || !std::all_of(domain.begin(), domain.end(), is_trust_domain_char)) return {};
  if (slash != std::string_view::npos && !is_valid_spiffe_path(rest.substr(slash))) return {};
  return std::string(domain);
}

bool is_workload_spiffe_id(const std::string& uri) {
  const std::string domain = spiffe_trust_domain(uri);
  return !domain.empty() && uri.size() > kSpiffeScheme.size() + domain.size();
}

std::string PeerIdentity::spiffe_id() const {
  if (uris.size() != 1 || !is_workload_spiffe_id(uris.front())) return {};
  return uris.front();
}

std::string PeerIdentity::display() const {
  if (std::string id = spiffe_id(); !id.empty()) return id;  // validated: ASCII only
  if (!dns_names.empty()) return printable(dns_names.front());
  if (!common_name.empty()) return "CN=" + printable(common_name);
  return "-";
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto c = static_cast<unsigned char>(text.front());
    std::size_t n = c >= 0x80 ? utf8_sequence(text) : (c >= 0x20 && c != 0x7f && c != '\\');
    if (n > 0) {
      out.append(text.substr(0, n));
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      n = 1;
    }
    text.remove_prefix(n);
  }
  return out;
}

PeerIdentity extract_identity(X509* cert) {
  PeerIdentity peer;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_URI) peer.uris.push_back(ia5_text(name->d.uniformResourceIdentifier));
    if (name->type == GEN_DNS) peer.dns_names.push_back(ia5_text(name->d.dNSName));
  }
  GENERAL_NAMES_free(names);
  peer.common_name = single_common_name(cert);
  ERR_clear_error();  // a missing extension leaves nothing to report, but do not leak a queue
  return peer;
}

Verdict authorize(const PeerIdentity& peer, const config::PeerPolicy& policy) {
  if (peer.uris.size() > 1) {
    return {.allowed = false,
            .reason = "bad_certificate",
            .detail = "peer certificate has " + std::to_string(peer.uris.size()) + " URI SANs (" +
                      join(peer.uris, ", ") + "); an X.509-SVID has exactly one"};
  }
  // X.509-SVID §2: a leaf's SPIFFE ID has a path; spiffe://<domain> alone names the trust
  // domain (its bundle), never a workload. Refused whatever the policy, like several URIs.
  if (peer.uris.size() == 1 && !spiffe_trust_domain(peer.uris.front()).empty() &&
      peer.spiffe_id().empty()) {
    return {.allowed = false,
            .reason = "bad_certificate",
            .detail = "peer URI SAN " + printable(peer.uris.front()) +
                      " names a trust domain, not a workload (spiffe://trust-domain/path)"};
  }
  if (policy.any) return allow(describe(peer) + " admitted by any: true");
  if (peer.uris.empty() && peer.dns_names.empty() && peer.common_name.empty()) {
    return {.allowed = false,
            .reason = "identity_denied",
            .detail = "peer certificate has no URI SAN, DNS SAN or CN"};
  }
  Verdict verdict = match(peer, policy);
  if (verdict.allowed) return verdict;
  const bool foreign_uri = !peer.uris.empty() && peer.spiffe_id().empty();
  const bool cn_ignored = has_sans(peer) && contains(policy.common_names, peer.common_name);
  return {.allowed = false,
          .reason = "identity_denied",
          .detail = describe(peer) + (foreign_uri ? " (URI is not a valid SPIFFE ID)" : "") +
                    " is not in " + checked_lists(policy) +
                    (cn_ignored ? " (the CN counts only for certificates without SANs)" : "")};
}

}  // namespace mtls::certs
