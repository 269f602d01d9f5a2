#include "certs/tls_contexts.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <stdexcept>

#include "certs/client_session_cache.hpp"
#include "certs/load_error.hpp"
#include "certs/ocsp_staple.hpp"
#include "certs/peer_check.hpp"
#include "certs/peer_identity.hpp"
#include "certs/tls_policy.hpp"
#include "certs/x509_fields.hpp"

namespace mtls::certs {
namespace {

constexpr int kVerifyDepth = 4;  // up to 4 intermediates: a mesh needs no more
// Bounds what an untrusted peer makes us parse and try to chain: leaf + 4 intermediates of
// ~1 KiB each (RSA-4096 ones are ~1.5 KiB) fit; a message of junk certificates does not.
constexpr long kMaxCertList = 10 * 1024;
// Leaf + kVerifyDepth intermediates, and a root that some peers send too, plus one of slack.
constexpr int kMaxPeerCertificates = kVerifyDepth + 2;

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
  throw std::runtime_error(origin + ": " + what + ": " + drain_openssl_errors());
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

// DER bytes of a certificate or CRL (i2d_X509, i2d_X509_CRL), for the trust digest.
template <class T, int (*ToDer)(const T*, unsigned char**)>
std::string der(const T* object) {
  unsigned char* buf = nullptr;
  const int n = ToDer(object, &buf);
  std::string out(reinterpret_cast<char*>(buf), n > 0 ? size_t(n) : 0);
  OPENSSL_free(buf);
  return out;
}

// Replaces OpenSSL's call of X509_verify_cert: a peer that sends more certificates than any
// acceptable chain has is refused before chain building, which would otherwise try each of them
// as an issuer (signature checks on our CPU, paid for by a client that needs no key).
int verify_counted(X509_STORE_CTX* ctx, void*) {
  STACK_OF(X509)* untrusted = X509_STORE_CTX_get0_untrusted(ctx);
  if (untrusted != nullptr && sk_X509_num(untrusted) > kMaxPeerCertificates) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_CHAIN_TOO_LONG);
    return 0;
  }
  return X509_verify_cert(ctx);
}

X509_STORE* make_store(const CertificateBundle& b) {
  X509_STORE* store = X509_STORE_new();
  for (X509* anchor : all_anchors(b)) X509_STORE_add_cert(store, anchor);
  for (const auto& crl : b.crls) X509_STORE_add_crl(store, crl.get());
  if (const unsigned long flags = crl_verify_flags(b)) X509_STORE_set_flags(store, flags);
  return store;
}

SslCtxPtr make_context(const CertificateBundle& b, const config::TlsConfig& policy, bool server,
                       const std::string& sid_context, ServerSessionCache* session_cache,
                       const TlsContexts& shared) {
  const AnchorDomains* anchor_domains = shared.anchor_domains.get();
  SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) fail(b.origin, "SSL_CTX_new");
  SSL_CTX* c = ctx.get();
  apply_tls_policy(c, policy);  // versions, ciphers, suites, groups, signature algorithms
  SSL_CTX_set_options(
      c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // Idle connections give their record buffers back; writes may be partial and move between
  // retries because the relay hands OpenSSL a fresh view of its buffer after each wait.
  // NO_AUTO_CHAIN: we send exactly the configured intermediates. Without it OpenSSL rebuilds a
  // chain from the trust store on every handshake (an X509_verify_cert of our own leaf) and sends
  // the root too, which the peer then parses: -33 % instructions per full handshake on each side
  // (tests/bench/README.md, callgrind).
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_NO_AUTO_CHAIN);
  // Read-ahead: one read(2) per burst instead of two per record (header, then body); the relay
  // always reads until want_read before it waits on the socket, so buffered records are never
  // stranded. RELEASE_BUFFERS still frees the buffer once it is empty.
  SSL_CTX_set_read_ahead(c, 1);
  SSL_CTX_set_default_read_buffer_len(c, 64 * 1024);

  if (SSL_CTX_use_certificate(c, b.leaf.get()) != 1) fail(b.origin, "certificate");
  for (const auto& extra : b.chain) {
    // Not the leaf again, and not a self-signed root: a peer that trusts it has it (RFC 8446
    // §4.4.2), and one that does not would not accept it from us anyway.
    if (X509_cmp(extra.get(), b.leaf.get()) == 0) continue;
    if (X509_check_issued(extra.get(), extra.get()) == X509_V_OK) continue;
    if (SSL_CTX_add1_chain_cert(c, extra.get()) != 1) fail(b.origin, "chain certificate");
  }
  if (SSL_CTX_use_PrivateKey(c, b.key.get()) != 1 || SSL_CTX_check_private_key(c) != 1)
    fail(b.origin, "private key");

  SSL_CTX_set_cert_store(c, make_store(b));
  SSL_CTX_set_verify_depth(c, kVerifyDepth);
  SSL_CTX_set_max_cert_list(c, kMaxCertList);
  // The peer must be a client (inbound) or a server (outbound) by its EKU.
  SSL_CTX_set_purpose(c, server ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER);
  const int mode = server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER;
  SSL_CTX_set_verify(c, mode, verify_callback_for(b.accept_stale_crl));
  SSL_CTX_set_cert_verify_callback(c, &verify_counted, nullptr);
  AnchorDomains::attach(c, anchor_domains);
  // OpenSSL 3.0 clients cannot staple their own status to a server, nor servers ask for it: our
  // staple goes out on the server context only, and staples are checked on the client context.
  if (server) {
    serve_staple(c, &shared.ocsp_staple);
  } else {
    check_server_staples(c, shared.ocsp_peers.get());
  }

  if (server) {
    SSL_CTX_set_session_id_context(
        c, reinterpret_cast<const unsigned char*>(sid_context.data()),
        unsigned(std::min<size_t>(sid_context.size(), SSL_MAX_SID_CTX_LENGTH)));
    if (policy.session_resumption) {
      SSL_CTX_set_num_tickets(c, 1);  // one ticket per handshake: each is a cached session
      // Without a shared cache (unit tests) OpenSSL's stateless tickets, valid for this context
      // only.
      if (session_cache) session_cache->install(c);
    } else {
      SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
      SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
      SSL_CTX_set_num_tickets(c, 0);
    }
  } else if (policy.session_resumption) {
    // Sessions live in each outbound listener's ClientSessionCache, not in OpenSSL's store.
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(c, &ClientSessionCache::on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
  }
  return ctx;
}

}  // namespace

std::shared_ptr<const TlsContexts> make_tls_contexts(
    const CertificateBundle& b, const config::TlsConfig& policy,
    std::shared_ptr<ServerSessionCache> session_cache) {
  validate_bundle(b);
  attribute_to("trust.crl", [&] { validate_crls(b); });
  ERR_clear_error();
  auto out = std::make_shared<TlsContexts>();
  // Checked here rather than by the source: a staple must match the leaf it is loaded with.
  OcspStatus staple;
  if (!b.ocsp_response.empty()) staple = check_own_staple(b, std::time(nullptr));
  std::string digest_input =
      tls_policy_text(policy) + "stale_crl=" + (b.accept_stale_crl ? "warn;" : "refuse;");
  // A session admitted under one OCSP policy must not resume under a stricter one.
  digest_input += "ocsp=" + std::to_string(int(b.ocsp)) + ";";
  // Our own trust domain decides what the roots of ca_bundle vouch for: part of the digest too.
  const std::string own_domain = spiffe_trust_domain(extract_identity(b.leaf.get()).spiffe_id());
  digest_input += "own_domain=" + own_domain + ";";
  for (const auto& anchor : b.trust) digest_input += der<X509, i2d_X509>(anchor.get());
  for (const DomainRoots& domain : b.domains) {
    digest_input += ";domain=" + domain.domain + ";";
    for (const auto& root : domain.roots) digest_input += der<X509, i2d_X509>(root.get());
  }
  for (const auto& crl : b.crls) digest_input += der<X509_CRL, i2d_X509_CRL>(crl.get());
  out->trust_digest = sha256_hex(digest_input);

  out->session_cache = std::move(session_cache);
  out->anchor_domains = std::make_shared<const AnchorDomains>(b, own_domain);
  out->ocsp_staple = b.ocsp_response;
  out->ocsp_status = staple;
  out->ocsp_fetched = b.ocsp_from.field == "identity.file.ocsp_fetch";
  out->ocsp_peers = std::make_unique<const OcspPeers>(
      OcspPeers{.policy = b.ocsp, .anchors = make_ocsp_store(all_anchors(b))});
  out->server = make_context(b, policy, true, out->trust_digest.substr(0, SSL_MAX_SID_CTX_LENGTH),
                             out->session_cache.get(), *out);
  out->client = make_context(b, policy, false, {}, nullptr, *out);
  out->crls = describe_crls(b);
  out->accept_stale_crl = b.accept_stale_crl;
  out->session_max_age = policy.session_max_age;
  out->warnings = anchors_without_crl(b);
  for (std::string& w : crl_warnings(out->crls, std::time(nullptr), b.accept_stale_crl))
    out->warnings.push_back(std::move(w));
  if (!b.ocsp_response.empty() && staple.status != OcspCertStatus::good) {
    out->warnings.push_back(b.ocsp_from.path + ": our own OCSP response says the certificate is " +
                            std::string(name(staple.status)) +
                            "; it is stapled, and peers that check OCSP refuse us");
  }

  out->identity = extract_identity(b.leaf.get()).display();
  out->serial_hex = serial_hex(b.leaf.get());
  out->not_before = to_time_t(X509_get0_notBefore(b.leaf.get()));
  out->not_after = to_time_t(X509_get0_notAfter(b.leaf.get()));
  for (X509* anchor : all_anchors(b)) {
    const std::time_t t = to_time_t(X509_get0_notAfter(anchor));
    if (out->trust_not_after == 0 || t < out->trust_not_after) out->trust_not_after = t;
  }
  out->leaf = share(b.leaf.get());
  for (X509* anchor : all_anchors(b)) out->trust.push_back(share(anchor));
  out->source = b.source;
  return out;
}

std::string session_context_id(const TlsContexts& contexts, const std::string& listener,
                               const config::PeerPolicy& policy) {
  std::string input = contexts.trust_digest + "|" + listener + "|" + (policy.any ? "any" : "");
  for (const auto* list : {&policy.spiffe_ids, &policy.trust_domains, &policy.dns_names,
                           &policy.common_names, &policy.spki_sha256}) {
    for (const auto& s : *list) input += "|" + s;
    input += ";";
  }
  return sha256_hex(input).substr(0, SSL_MAX_SID_CTX_LENGTH);
}

}  // namespace mtls::certs
