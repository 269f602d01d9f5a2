#pragma once
// Whether PEM text holds an encrypted PKCS#8 key whose key derivation is costly by its own
// parameters: PBKDF2 or PKCS#5 v1 with more than 2^16 iterations, scrypt with N*r*p above 2^20.
// Decrypting such a key takes as long as the file asks for, by design; a key file is operator
// input, so this is not a finding, and left in, the fuzzer spends its budget in timeouts on it.
// The targets skip those inputs (return -1: not added to the corpus). See README.md "Scope".

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <string_view>

namespace mtls::fuzz {

namespace kdf_detail {

inline bool too_many(const ASN1_INTEGER* value, long limit) {
  if (value == nullptr) return false;
  const long v = ASN1_INTEGER_get(value);
  return v < 0 || v > limit;  // -1 also for "does not fit in a long"
}

inline bool costly_pbes2(const X509_ALGOR* alg) {
  PBE2PARAM* pbe2 =
      static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter));
  if (pbe2 == nullptr) return false;
  bool costly = false;
  const int kdf = pbe2->keyfunc ? OBJ_obj2nid(pbe2->keyfunc->algorithm) : NID_undef;
  if (kdf == NID_id_pbkdf2) {
    if (auto* p = static_cast<PBKDF2PARAM*>(
            ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter))) {
      costly = too_many(p->iter, 1L << 16);
      PBKDF2PARAM_free(p);
    }
  } else if (kdf == NID_id_scrypt) {
    if (auto* p = static_cast<SCRYPT_PARAMS*>(
            ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), pbe2->keyfunc->parameter))) {
      const long n = ASN1_INTEGER_get(p->costParameter);
      const long r = ASN1_INTEGER_get(p->blockSize);
      const long q = ASN1_INTEGER_get(p->parallelizationParameter);
      costly = n < 0 || r < 0 || q < 0 || n > (1L << 20) || r > (1L << 20) || q > (1L << 20) ||
               n * r * q > (1L << 20);
      SCRYPT_PARAMS_free(p);
    }
  }
  PBE2PARAM_free(pbe2);
  return costly;
}

inline bool costly_block(const unsigned char* der, long length) {
  const unsigned char* p = der;
  X509_SIG* sig = d2i_X509_SIG(nullptr, &p, length);
  if (sig == nullptr) return false;
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(sig, &alg, nullptr);
  bool costly = false;
  if (OBJ_obj2nid(alg->algorithm) == NID_pbes2) {
    costly = costly_pbes2(alg);
  } else if (auto* pbe = static_cast<PBEPARAM*>(
                 ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter))) {
    costly = too_many(pbe->iter, 1L << 16);  // PKCS#5 v1 and PKCS#12 PBE
    PBEPARAM_free(pbe);
  }
  X509_SIG_free(sig);
  return costly;
}

}  // namespace kdf_detail

inline bool has_costly_kdf(std::string_view pem) {
  if (pem.find("ENCRYPTED PRIVATE KEY") == std::string_view::npos) return false;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  bool costly = false;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio, &name, &header, &data, &length) != 1) break;
    if (std::strcmp(name, "ENCRYPTED PRIVATE KEY") == 0)
      costly = kdf_detail::costly_block(data, length);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (costly) break;
  }
  BIO_free(bio);
  ERR_clear_error();
  return costly;
}

}  // namespace mtls::fuzz
