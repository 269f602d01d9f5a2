// Oversized client certificates: a 100-certificate chain, 60 junk certificates after a valid leaf
// and a 64 KiB certificate are refused at the message-size limit (max cert list 10 KiB) before
// any signature is checked, quickly and with a reason; more certificates than any acceptable
// chain has (verify depth + 2) are refused before chain building; a chain longer than
// verify_depth is refused by verification. Each refusal has a control just inside the limit that
// is accepted, so the refusal is the limit and not a mistake in the test's certificates.
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <fstream>

#include "certs/pem.hpp"
#include "proxy/demo/tls_probe.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/reliability.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

using Clock = std::chrono::steady_clock;

certs::EvpPkeyPtr make_key() { return certs::EvpPkeyPtr(EVP_EC_gen("P-256")); }

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << OBJ_nid2sn(nid) << "=" << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A CA certificate (issuer null: self-signed root) or, with `spiffe_id`, a client leaf. `padding`
// bytes go into a private non-critical extension, which verification ignores.
certs::X509Ptr make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                         const std::string& spiffe_id = "", std::size_t padding = 0) {
  certs::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  X509_set_pubkey(cert.get(), key);
  add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer) add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (spiffe_id.empty()) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), signer, NID_ext_key_usage, "clientAuth");
    add_ext(cert.get(), signer, NID_subject_alt_name, ("URI:" + spiffe_id).c_str());
  }
  if (padding > 0) {
    ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.4.1.55555.1.1", 1);
    ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
    const std::string bytes(padding, 'p');
    ASN1_OCTET_STRING_set(data, reinterpret_cast<const unsigned char*>(bytes.data()),
                          int(bytes.size()));
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, data);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(oid);
  }
  X509_sign(cert.get(), issuer_key, EVP_sha256());
  return cert;
}

struct ClientFiles {
  TestPki::Files files;
  std::size_t chain_bytes = 0;  // DER size of everything the client sends
};

// Writes `leaf` then `chain` (leaf's issuer first) and `key`: what tls_probe sends as-is.
ClientFiles write_client(const std::string& dir, const std::string& name, X509* leaf, EVP_PKEY* key,
                         const std::vector<certs::X509Ptr>& chain) {
  ClientFiles out{{dir + "/" + name + ".crt", dir + "/" + name + ".key"}, 0};
  std::string pem = certs::to_pem(leaf);
  out.chain_bytes = std::size_t(i2d_X509(leaf, nullptr));
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    pem += certs::to_pem(it->get());
    out.chain_bytes += std::size_t(i2d_X509(it->get(), nullptr));
  }
  certs::write_file(out.files.cert, pem, 0644);
  certs::write_file(out.files.key, certs::to_pem(key, ""), 0600);
  return out;
}

class ExhaustionChain : public ::testing::Test {
 protected:
  ExhaustionChain() : backend_(Backend::Mode::echo), root_key_(make_key()) {
    // Our own root with no path length limit (the test CA has pathlen 0), trusted next to it.
    root_ = make_cert("chain test root", root_key_.get(), nullptr, root_key_.get());
    const std::string bundle = pki_.dir() + "/bundle.crt";
    certs::write_file(bundle, certs::to_pem(pki_.ca().certificate()) + certs::to_pem(root_.get()),
                      0644);
    config::Config c = base_config(pki_, pki_.leaf("backend", kBackendId, {"backend.local"}));
    c.trust.ca_bundle = bundle;
    c.inbound.push_back(inbound_listener(backend_.port()));
    inbound_ =
        std::make_unique<proxy::Sidecar>(std::move(c), proxy::SidecarOptions{.admin = false});
    inbound_->start();
  }

  // A client leaf under `intermediates` CAs below our root; its files and the chain's size.
  ClientFiles chain_of(int intermediates, const std::string& name, std::size_t padding = 0) {
    std::vector<certs::X509Ptr> chain;
    certs::EvpPkeyPtr issuer_key = make_key();
    X509* issuer = root_.get();
    EVP_PKEY* signing = root_key_.get();
    std::vector<certs::EvpPkeyPtr> keys;
    for (int i = 0; i < intermediates; ++i) {
      keys.push_back(make_key());
      chain.push_back(
          make_cert("intermediate " + std::to_string(i), keys.back().get(), issuer, signing));
      issuer = chain.back().get();
      signing = keys.back().get();
    }
    const certs::EvpPkeyPtr key = make_key();
    const certs::X509Ptr leaf =
        make_cert("frontend", key.get(), issuer, signing, kFrontendId, padding);
    return write_client(pki_.dir(), name, leaf.get(), key.get(), chain);
  }

  // A valid client leaf of our root followed by `junk` unrelated self-signed certificates.
  ClientFiles with_junk(int junk, const std::string& name) {
    std::vector<certs::X509Ptr> extra;
    for (int i = 0; i < junk; ++i) {
      const certs::EvpPkeyPtr key = make_key();
      extra.push_back(make_cert("junk " + std::to_string(i), key.get(), nullptr, key.get()));
    }
    const certs::EvpPkeyPtr key = make_key();
    const certs::X509Ptr leaf =
        make_cert("frontend", key.get(), root_.get(), root_key_.get(), kFrontendId);
    return write_client(pki_.dir(), name, leaf.get(), key.get(), extra);
  }

  struct Outcome {
    proxy::ProbeResult probe;
    double ms = 0;
  };
  Outcome offer(const ClientFiles& client) {
    proxy::ProbeOptions o;
    o.port = inbound_->port("in");
    o.ca_file = pki_.ca_bundle();
    o.cert_file = client.files.cert;
    o.key_file = client.files.key;
    o.server_name = "backend.local";
    o.half_close = true;
    const auto start = Clock::now();
    Outcome out{proxy::tls_probe(o, "ping"), 0};
    out.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    return out;
  }

  double refused(const std::string& reason, double want) {
    return wait_sample(*inbound_, "mtls_handshakes_total",
                       {{"result", "failure"}, {"reason", reason}}, want);
  }

  LogCapture logs_;
  TestPki pki_;
  Backend backend_;
  certs::EvpPkeyPtr root_key_;
  certs::X509Ptr root_;
  std::unique_ptr<proxy::Sidecar> inbound_;
};

TEST_F(ExhaustionChain, RefusesAHundredCertificateChainAtTheSizeLimitQuickly) {
  const ClientFiles control = chain_of(2, "short");
  ASSERT_EQ(offer(control).probe.reply, "ping")
      << "a 3-certificate chain under the same root must pass";

  const ClientFiles hundred = chain_of(99, "hundred");
  const Outcome o = offer(hundred);
  EXPECT_TRUE(o.probe.reply.empty());
  const double counted = refused("bad_certificate", 1);
  EXPECT_EQ(counted, 1);
  EXPECT_NE(logs_.wait_for({"\"reason\":\"bad_certificate\"", "excessive message size"}), "");
  EXPECT_EQ(backend_.connections(), 1);  // the control only
  std::printf(
      "[ measure  ] 100-certificate chain (%zu bytes DER) refused in %.1f ms, alert \"%s\"\n",
      hundred.chain_bytes, o.ms, o.probe.alert.c_str());
  score("chain100_refused_ms", o.ms, o.probe.reply.empty() && counted == 1 && o.ms < 1000,
        "refused (reason bad_certificate: excessive message size) in <1000ms, " +
            std::to_string(hundred.chain_bytes) + " bytes offered");
}

TEST_F(ExhaustionChain, RefusesSixtyJunkCertificatesAfterAValidLeafAtTheSizeLimit) {
  // A valid leaf followed by junk: chain building would find the real chain and ignore the rest,
  // after parsing and trying every junk certificate as an issuer.
  const ClientFiles sixty = with_junk(60, "junk60");
  ASSERT_GT(sixty.chain_bytes, 10u * 1024);
  const Outcome o = offer(sixty);
  EXPECT_TRUE(o.probe.reply.empty());
  EXPECT_EQ(refused("bad_certificate", 1), 1);
  EXPECT_NE(logs_.wait_for({"\"reason\":\"bad_certificate\"", "excessive message size"}), "");
  EXPECT_EQ(backend_.connections(), 0);
  std::printf("[ measure  ] valid leaf + 60 junk certificates (%zu bytes DER) refused in %.1f ms\n",
              sixty.chain_bytes, o.ms);
}

TEST_F(ExhaustionChain, RefusesMoreCertificatesThanAnyChainHasBeforeBuildingIt) {
  ASSERT_EQ(offer(with_junk(5, "junk5")).probe.reply, "ping")
      << "6 certificates (verify depth + 2) are still looked at";
  const ClientFiles eight = with_junk(8, "junk8");
  ASSERT_LT(eight.chain_bytes, 10u * 1024) << "under the size limit: the count refuses it";
  const Outcome o = offer(eight);
  EXPECT_TRUE(o.probe.reply.empty());
  EXPECT_EQ(refused("bad_certificate", 1), 1);
  EXPECT_NE(logs_.wait_for({"\"reason\":\"bad_certificate\"", "certificate chain too long"}), "");
  EXPECT_EQ(backend_.connections(), 1);  // the control only
}

TEST_F(ExhaustionChain, RefusesA64KibCertificateAtTheSizeLimitQuickly) {
  ASSERT_EQ(offer(chain_of(0, "padded-1k", 1024)).probe.reply, "ping")
      << "the same leaf with 1 KiB of padding must pass";

  const ClientFiles big = chain_of(0, "padded-64k", 64 * 1024);
  const Outcome o = offer(big);
  EXPECT_TRUE(o.probe.reply.empty());
  const double counted = refused("bad_certificate", 1);
  EXPECT_EQ(counted, 1);
  EXPECT_NE(logs_.wait_for({"\"reason\":\"bad_certificate\"", "excessive message size"}), "");
  std::printf("[ measure  ] 64 KiB certificate (%zu bytes DER) refused in %.1f ms, alert \"%s\"\n",
              big.chain_bytes, o.ms, o.probe.alert.c_str());
  score("cert64k_refused_ms", o.ms, o.probe.reply.empty() && counted == 1 && o.ms < 1000,
        "refused (reason bad_certificate: excessive message size) in <1000ms");
}

TEST_F(ExhaustionChain, RefusesAChainDeeperThanTheVerifyDepth) {
  // verify_depth 4 (OpenSSL counts issuers above the leaf, the trust anchor excluded): leaf + 4
  // intermediates + root is the longest chain accepted.
  ASSERT_EQ(offer(chain_of(4, "depth4")).probe.reply, "ping") << "leaf + 4 intermediates must pass";
  const Outcome o = offer(chain_of(5, "depth5"));
  EXPECT_TRUE(o.probe.reply.empty());
  const double counted = refused("bad_certificate", 1);
  EXPECT_EQ(counted, 1);
  EXPECT_NE(logs_.wait_for({"\"reason\":\"bad_certificate\"", "certificate chain too long"}), "");
  score("chain_depth5_refused_ms", o.ms, o.probe.reply.empty() && counted == 1 && o.ms < 1000,
        "leaf+5 intermediates refused (certificate chain too long), leaf+4 accepted");
}

}  // namespace
}  // namespace mtls::test
