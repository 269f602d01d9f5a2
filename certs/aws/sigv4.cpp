#include "certs/aws/sigv4.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <stdexcept>

namespace mtls::certs::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// isalnum is locale-dependent; SigV4 is not, so only ASCII letters and digits count.
bool ascii_alnum(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string percent_encode(std::string_view in, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (ascii_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes valid %XX only; a stray '%' stays literal (and is then encoded as %25). '+' stays '+':
// the query of a signed AWS request is not form-encoded.
std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

// RFC 3986 §5.2.4 dot-segment removal, plus merging repeated '/' as AWS services expect.
std::string normalise_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  if (!segments.empty() && path.back() == '/') out += '/';
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// One line of a value: trimmed, inner runs of whitespace as one space.
void append_collapsed(std::string& out, std::string_view line) {
  bool pending_space = false;
  bool any = false;
  for (char c : line) {
    if (is_space(c)) {
      pending_space = any;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    any = true;
    out += c;
  }
}

// A folded (obs-fold) value's lines count as separate values, joined with ',' as repeated headers
// are: that is what the AWS suite's get-header-value-multiline expects.
std::string canonical_value(std::string_view value) {
  std::string out;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find('\n', start);
    if (end == std::string_view::npos) end = value.size();
    std::string line;
    append_collapsed(line, value.substr(start, end - start));
    if (!line.empty()) {
      if (!out.empty()) out += ',';
      out += line;
    }
    start = end + 1;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool unsigned_header(const std::string& lowered) {
  return lowered == "authorization" || lowered == "user-agent" || lowered == "expect" ||
         lowered == "x-amzn-trace-id";
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void set_header(Headers& headers, std::string_view name, std::string value) {
  for (auto& [n, v] : headers) {
    if (iequals(n, name)) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::move(value));
}

bool has_header(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return iequals(h.first, name); });
}

}  // namespace

std::string uri_encode(std::string_view text) { return percent_encode(text, /*keep_slash=*/false); }

std::string canonical_uri(std::string_view path) {
  return percent_encode(normalise_path(path), /*keep_slash=*/true);
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view item = query.substr(start, end - start);
    if (!item.empty()) {
      std::size_t eq = item.find('=');
      std::string_view name = item.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
      pairs.emplace_back(percent_encode(percent_decode(name), false),
                         percent_encode(percent_decode(value), false));
    }
    start = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

CanonicalHeaders canonical_headers(const Headers& headers) {
  // std::map keeps names sorted; values of a repeated name keep their sending order.
  std::map<std::string, std::string> merged;
  for (const auto& [name, value] : headers) {
    std::string key = lower(name);
    if (unsigned_header(key)) continue;
    auto [it, inserted] = merged.try_emplace(key, canonical_value(value));
    if (!inserted) it->second += ',' + canonical_value(value);
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.block += name + ':' + value + '\n';
    if (!out.signed_names.empty()) out.signed_names += ';';
    out.signed_names += name;
  }
  return out;
}

std::string canonical_request(const HttpRequest& request, std::string_view payload_hash) {
  CanonicalHeaders headers = canonical_headers(request.headers);
  std::string out = request.method;
  out += '\n';
  out += canonical_uri(request.path);
  out += '\n';
  out += canonical_query(request.query);
  out += '\n';
  out += headers.block;
  out += '\n';
  out += headers.signed_names;
  out += '\n';
  out += payload_hash;
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Digest derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                          std::string_view service) {
  std::string seed = "AWS4" + std::string(secret);
  Digest k = hmac_sha256(seed, date);
  OPENSSL_cleanse(seed.data(), seed.size());
  k = hmac_sha256(as_view(k), region);
  k = hmac_sha256(as_view(k), service);
  return hmac_sha256(as_view(k), "aws4_request");
}

SigningKeyCache::~SigningKeyCache() {
  for (auto& [key, value] : keys_) OPENSSL_cleanse(value.data(), value.size());
}

Digest SigningKeyCache::key(std::string_view secret, std::string_view date, std::string_view region,
                            std::string_view service) {
  Key id{std::string(date), std::string(region), std::string(service), sha256(secret)};
  std::lock_guard lock(mutex_);
  if (auto it = keys_.find(id); it != keys_.end()) return it->second;
  // A new day's key makes every older one useless: requests are signed with the current date.
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (std::get<0>(it->first) != date) {
      OPENSSL_cleanse(it->second.data(), it->second.size());
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
  Digest derived = derive_signing_key(secret, date, region, service);
  ++derivations_;
  keys_.emplace(std::move(id), derived);
  return derived;
}

std::size_t SigningKeyCache::derivations() const {
  std::lock_guard lock(mutex_);
  return derivations_;
}

SignedParts Signer::sign(HttpRequest& request, const Credentials& credentials,
                         const SigningScope& scope, std::chrono::system_clock::time_point now) {
  if (credentials.empty()) throw std::runtime_error("SigV4: no AWS credentials to sign with");
  if (!has_header(request.headers, "host")) throw std::runtime_error("SigV4: request has no Host");
  const std::string timestamp = amz_date(now);
  const std::string date = timestamp.substr(0, 8);
  set_header(request.headers, "X-Amz-Date", timestamp);
  if (!credentials.session_token.empty() && !has_header(request.headers, "x-amz-security-token")) {
    request.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }

  SignedParts parts;
  parts.canonical_request = canonical_request(request, to_hex(sha256(request.body)));
  const std::string credential_scope =
      date + '/' + scope.region + '/' + scope.service + "/aws4_request";
  parts.string_to_sign = std::string(kAlgorithm) + '\n' + timestamp + '\n' + credential_scope +
                         '\n' + to_hex(sha256(parts.canonical_request));
  Digest key = keys_.key(credentials.secret_access_key, date, scope.region, scope.service);
  const std::string signature = to_hex(hmac_sha256(as_view(key), parts.string_to_sign));
  OPENSSL_cleanse(key.data(), key.size());
  parts.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + '/' +
                        credential_scope +
                        ", SignedHeaders=" + canonical_headers(request.headers).signed_names +
                        ", Signature=" + signature;
  set_header(request.headers, "Authorization", parts.authorization);
  return parts;
}

}  // namespace mtls::certs::aws
