#include "certs/tls_policy.hpp"

#include <openssl/err.h>

#include <string_view>

#include "certs/load_error.hpp"
#include "certs/openssl_ptr.hpp"

namespace mtls::certs {
namespace {

int version_number(const std::string& version) {
  return version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ":") + item;
  return out;
}

std::vector<std::string> split(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const std::size_t colon = list.find(':');
    if (colon != 0) out.emplace_back(list.substr(0, colon));
    if (colon == std::string_view::npos) break;
    list.remove_prefix(colon + 1);
  }
  return out;
}

std::string tls12_ciphers(const config::TlsConfig& p) {
  return p.cipher_suites.empty() ? kDefaultTls12Ciphers : p.cipher_suites;
}
std::string tls13_suites(const config::TlsConfig& p) {
  return p.tls13_cipher_suites.empty() ? kDefaultTls13Suites : p.tls13_cipher_suites;
}
std::string groups(const config::TlsConfig& p) {
  return p.groups.empty() ? kDefaultGroups : join(p.groups);
}

const std::string& openssl_version() {
  static const std::string v = OpenSSL_version(OPENSSL_VERSION);
  return v;
}

// Hybrid post-quantum groups arrived with ML-KEM in OpenSSL 3.5.
bool is_ml_kem(std::string_view group) {
  return group.find("MLKEM") != std::string_view::npos ||
         group.find("mlkem") != std::string_view::npos;
}

// Whether `ctx` now offers a TLS 1.3 suite by this standard name (set_ciphersuites accepts a
// list as long as one name is known).
bool has_suite(SSL_CTX* ctx, std::string_view name) {
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const char* standard = SSL_CIPHER_standard_name(sk_SSL_CIPHER_value(ciphers, i));
    if (standard != nullptr && name == standard) return true;
  }
  return false;
}

void check_tls12(SSL_CTX* scratch, const config::TlsConfig& p, std::vector<PolicyProblem>& out) {
  if (p.cipher_suites.empty()) return;
  for (const std::string& item : split(p.cipher_suites)) {
    // Operators (!x, -x, +x, @STRENGTH) only edit what earlier items selected.
    if (item.find_first_of("!-+@") == 0) continue;
    if (SSL_CTX_set_cipher_list(scratch, item.c_str()) == 1) continue;
    std::string hint;
    if (item.starts_with("TLS_")) hint = " (a TLS 1.3 suite: list it in tls13_cipher_suites)";
    out.push_back({"tls.cipher_suites",
                   "\"" + item + "\" selects no cipher " + openssl_version() + " knows" + hint});
  }
  ERR_clear_error();
  if (out.empty() && SSL_CTX_set_cipher_list(scratch, p.cipher_suites.c_str()) != 1)
    out.push_back({"tls.cipher_suites", "the list selects no cipher"});
}

void check_tls13(SSL_CTX* scratch, const config::TlsConfig& p, std::vector<PolicyProblem>& out) {
  for (const std::string& item : split(p.tls13_cipher_suites)) {
    if (SSL_CTX_set_ciphersuites(scratch, item.c_str()) == 1 && has_suite(scratch, item)) continue;
    out.push_back({"tls.tls13_cipher_suites",
                   "unknown TLS 1.3 suite \"" + item + "\" for " + openssl_version() +
                       "; known: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, "
                       "TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256, "
                       "TLS_AES_128_CCM_8_SHA256"});
  }
  ERR_clear_error();
}

void check_list(SSL_CTX* scratch, const std::vector<std::string>& items, const std::string& key,
                long (*apply)(SSL_CTX*, const char*), const std::string& what,
                std::vector<PolicyProblem>& out) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (apply(scratch, items[i].c_str()) == 1) continue;
    std::string message = "unsupported " + what + " \"" + items[i] + "\" in " + openssl_version();
    if (key == "tls.groups" && is_ml_kem(items[i])) {
      message = items[i] + " (hybrid ML-KEM) needs OpenSSL 3.5 or later; this build runs " +
                openssl_version() + "; use X25519, P-256 or P-384";
    }
    out.push_back({key + "[" + std::to_string(i) + "]", message});
  }
  ERR_clear_error();
}

long set_groups(SSL_CTX* ctx, const char* list) { return SSL_CTX_set1_groups_list(ctx, list); }
long set_sigalgs(SSL_CTX* ctx, const char* list) { return SSL_CTX_set1_sigalgs_list(ctx, list); }

}  // namespace

std::vector<PolicyProblem> check_tls_policy(const config::TlsConfig& policy) {
  std::vector<PolicyProblem> out;
  SslCtxPtr scratch(SSL_CTX_new(TLS_method()));
  if (!scratch) return {{"tls", "SSL_CTX_new: " + drain_openssl_errors()}};
  check_tls12(scratch.get(), policy, out);
  check_tls13(scratch.get(), policy, out);
  check_list(scratch.get(), policy.groups, "tls.groups", &set_groups, "group", out);
  check_list(scratch.get(), policy.signature_algorithms, "tls.signature_algorithms", &set_sigalgs,
             "signature algorithm", out);
  return out;
}

void apply_tls_policy(SSL_CTX* ctx, const config::TlsConfig& policy) {
  const auto fail = [](const std::string& field, const std::string& what) {
    throw LoadError(field, field + ": " + what + ": " + drain_openssl_errors());
  };
  if (SSL_CTX_set_min_proto_version(ctx, version_number(policy.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, version_number(policy.max_version)) != 1)
    fail("tls.min_version", "cannot set the protocol versions");
  if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers(policy).c_str()) != 1)
    fail("tls.cipher_suites", "no usable TLS 1.2 cipher");
  if (SSL_CTX_set_ciphersuites(ctx, tls13_suites(policy).c_str()) != 1)
    fail("tls.tls13_cipher_suites", "no usable TLS 1.3 suite");
  if (SSL_CTX_set1_groups_list(ctx, groups(policy).c_str()) != 1)
    fail("tls.groups", "no usable group");
  if (!policy.signature_algorithms.empty() &&
      SSL_CTX_set1_sigalgs_list(ctx, join(policy.signature_algorithms).c_str()) != 1)
    fail("tls.signature_algorithms", "no usable signature algorithm");
}

std::string tls_policy_text(const config::TlsConfig& policy) {
  return "min=" + policy.min_version + ";max=" + policy.max_version +
         ";ciphers=" + tls12_ciphers(policy) + ";suites=" + tls13_suites(policy) +
         ";groups=" + groups(policy) + ";sigalgs=" + join(policy.signature_algorithms) + ";";
}

}  // namespace mtls::certs
