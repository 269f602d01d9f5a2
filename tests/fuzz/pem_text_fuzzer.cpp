// Fuzz target: the PEM layer of certs/pem.cpp on arbitrary text, as a certificate, key, CA bundle
// or CRL file would hold it (several blocks, other block types, headers, junk between blocks).
// Each input goes to parse_certificates, parse_private_key (without and with a passphrase) and
// load_crls (through an in-memory file). Contract checked, beyond "no crash, no leak, no UB":
// each returns a non-empty result of non-null objects or throws std::runtime_error whose message
// starts with the name it was given; the OpenSSL error queue is empty afterwards (a leftover
// would be blamed on the next connection of the thread).

#include <openssl/err.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "certs/pem.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/kdf_cost.hpp"

namespace {

using namespace mtls;

void check_thrown(const std::runtime_error& e, const std::string& name) {
  FUZZ_CHECK(std::string_view(e.what()).starts_with(name + ": "), e.what());
}

void check_queue(const char* after) {
  FUZZ_CHECK(ERR_peek_error() == 0, std::string("OpenSSL error queue not empty after ") + after);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  if (fuzz::has_costly_kdf(text)) return -1;
  try {
    const std::vector<certs::X509Ptr> list = certs::parse_certificates(text, "fuzz.pem");
    FUZZ_CHECK(!list.empty(), "no certificates and no error");
    for (const certs::X509Ptr& cert : list) FUZZ_CHECK(cert != nullptr, "null certificate");
  } catch (const std::runtime_error& e) {
    check_thrown(e, "fuzz.pem");
  }
  check_queue("parse_certificates");
  for (const std::string& passphrase : {std::string(), std::string("fuzz-pass")}) {
    try {
      FUZZ_CHECK(certs::parse_private_key(text, "fuzz.key", passphrase) != nullptr, "null key");
    } catch (const std::runtime_error& e) {
      check_thrown(e, "fuzz.key");
    }
    check_queue("parse_private_key");
  }
  const std::string path = fuzz::as_file(text);
  try {
    const std::vector<certs::X509CrlPtr> crls = certs::load_crls(path);
    FUZZ_CHECK(!crls.empty(), "no CRLs and no error");
  } catch (const std::runtime_error& e) {
    check_thrown(e, path);
  }
  check_queue("load_crls");
  return 0;
}
