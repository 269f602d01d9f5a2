#include "tests/support/fake_acm.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/json.hpp>
#include <map>
#include <stdexcept>

#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"
#include "tests/support/aws_json_wire.hpp"
#include "tests/support/sigv4_vectors.hpp"

namespace mtls::test {
namespace {

namespace json = boost::json;
using certs::aws::HttpRequest;
using certs::aws::HttpResponse;

constexpr const char* kAccount = "123456789012";

std::string decode_base64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) throw std::invalid_argument("not base64");
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) throw std::invalid_argument("not base64");
  std::size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

// What `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes: PBES2 with PBKDF2 (HMAC-SHA256, OpenSSL's
// default 2048 iterations) and AES-256-CBC, as PEM "ENCRYPTED PRIVATE KEY".
std::string encrypted_pkcs8(EVP_PKEY* key, const std::string& passphrase) {
  certs::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), key, EVP_aes_256_cbc(), passphrase.data(),
                                    static_cast<int>(passphrase.size()), nullptr, nullptr) != 1) {
    throw std::runtime_error("PEM_write_bio_PKCS8PrivateKey failed");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// ACM writes serials as lower-case hex bytes joined by ':'.
std::string acm_serial(X509* cert) {
  const std::string hex = certs::serial_hex(cert);
  const std::string even = hex.size() % 2 ? "0" + hex : hex;
  std::string out;
  for (std::size_t i = 0; i < even.size(); i += 2) {
    if (!out.empty()) out += ':';
    out += static_cast<char>(std::tolower(even[i]));
    out += static_cast<char>(std::tolower(even[i + 1]));
  }
  return out;
}

HttpResponse json_reply(const json::value& body) {
  return {200, {{"Content-Type", "application/x-amz-json-1.1"}}, json::serialize(body)};
}

}  // namespace

struct FakeAcm::State {
  mutable std::mutex mutex;
  certs::LocalCa ca = certs::LocalCa::generate("ACM test private CA");
  std::string ca_file;
  std::string arn;
  certs::IssuedCertificate current;
  ScriptedFailures failures;
  std::map<std::string, int> calls;
  std::vector<std::string> passphrases;
};

FakeAcm::FakeAcm(Options options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {
  state_->arn = "arn:aws:acm:" + options_.region + ":" + kAccount +
                ":certificate/5f0e0a2b-7d1c-4e59-9c1e-acm0fake0001";
  state_->ca_file = pki_.dir() + "/acm-private-ca.crt";
  certs::write_file(state_->ca_file, certs::to_pem(state_->ca.certificate()), 0644);
  renew();
  const TestPki::Files https = pki_.leaf("acm-endpoint", "spiffe://test/acm", {"localhost"});
  server_ = std::make_unique<FakeHttpServer>([this](const HttpRequest& r) { return handle(r); },
                                             https.cert, https.key);
}

FakeAcm::~FakeAcm() { server_.reset(); }

std::string FakeAcm::url() const { return server_->url(); }
std::string FakeAcm::ca_bundle() const { return pki_.ca_bundle(); }
std::string FakeAcm::certificate_arn() const { return state_->arn; }
std::string FakeAcm::issuing_ca_file() const { return state_->ca_file; }
const certs::LocalCa& FakeAcm::issuing_ca() const { return state_->ca; }

std::string FakeAcm::serial() const {
  std::lock_guard lock(state_->mutex);
  return certs::serial_hex(state_->current.cert.get());
}

std::string FakeAcm::renew() {
  // An ACM certificate names the domain in its SANs only (no SPIFFE URI).
  certs::IssuedCertificate next =
      state_->ca.issue(leaf_request("", options_.dns_names, options_.ttl));
  std::lock_guard lock(state_->mutex);
  state_->current = std::move(next);
  return certs::serial_hex(state_->current.cert.get());
}

void FakeAcm::fail(const std::string& operation, int times, unsigned status, std::string type,
                   std::string message) {
  std::lock_guard lock(state_->mutex);
  state_->failures.add(operation, times, status, std::move(type), std::move(message));
}

void FakeAcm::clear_failures() {
  std::lock_guard lock(state_->mutex);
  state_->failures.clear();
}

int FakeAcm::calls(const std::string& operation) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->calls.find(operation);
  return it == state_->calls.end() ? 0 : it->second;
}

std::vector<std::string> FakeAcm::passphrases() const {
  std::lock_guard lock(state_->mutex);
  return state_->passphrases;
}

std::vector<HttpRequest> FakeAcm::requests() const { return server_->requests(); }

HttpResponse FakeAcm::handle(const HttpRequest& request) {
  const auto call = read_json_call(request, {{{"CertificateManager", "acm"}},
                                             {{options_.access_key_id, options_.secret_access_key}},
                                             options_.region});
  if (const auto* refused = std::get_if<HttpResponse>(&call)) return *refused;
  if (!options_.session_token.empty() &&
      header_value(request, "X-Amz-Security-Token") != options_.session_token) {
    return aws_json_error(400, "UnrecognizedClientException",
                          "The security token included in the request is invalid.");
  }
  const std::string operation = std::get<JsonCallTarget>(call).operation;

  std::lock_guard lock(state_->mutex);
  if (auto failure = state_->failures.next(operation)) return *failure;
  boost::system::error_code ec;
  const json::value body = json::parse(request.body, ec);
  if (ec || !body.is_object()) return aws_json_error(400, "SerializationException", "not JSON");
  const json::object& in = body.as_object();
  const json::value* arn = in.if_contains("CertificateArn");
  if (arn == nullptr || !arn->is_string())
    return aws_json_error(400, "ValidationException", "CertificateArn is required");
  if (arn->as_string() != state_->arn) {
    return aws_json_error(400, "ResourceNotFoundException",
                          "Could not find certificate " + std::string(arn->as_string()) +
                              " in account " + kAccount + ".");
  }
  X509* cert = state_->current.cert.get();
  if (operation == "DescribeCertificate") {
    ++state_->calls[operation];
    json::array sans;
    for (const std::string& name : options_.dns_names) sans.emplace_back(name);
    json::object c;
    c["CertificateArn"] = state_->arn;
    c["DomainName"] = options_.dns_names.front();
    c["SubjectAlternativeNames"] = sans;
    c["Serial"] = acm_serial(cert);
    c["Subject"] = certs::subject_text(cert);
    c["Issuer"] = certs::subject_text(state_->ca.certificate());
    c["NotBefore"] = certs::to_time_t(X509_get0_notBefore(cert));
    c["NotAfter"] = certs::to_time_t(X509_get0_notAfter(cert));
    c["Status"] = "ISSUED";
    c["Type"] = "PRIVATE";
    c["KeyAlgorithm"] = "EC_prime256v1";
    c["RenewalEligibility"] = "ELIGIBLE";
    return json_reply(json::object{{"Certificate", c}});
  }
  if (operation == "ExportCertificate") {
    const json::value* pass = in.if_contains("Passphrase");
    std::string passphrase;
    try {
      if (pass == nullptr || !pass->is_string()) throw std::invalid_argument("missing");
      passphrase = decode_base64(std::string(pass->as_string()));
    } catch (const std::invalid_argument&) {
      return aws_json_error(400, "ValidationException", "Passphrase must be a base64 blob");
    }
    if (passphrase.size() < 4 || passphrase.size() > 128 ||
        passphrase.find_first_of("#$%") != std::string::npos) {
      return aws_json_error(400, "ValidationException",
                            "Passphrase must be 4 to 128 bytes and may not contain #, $ or %");
    }
    ++state_->calls[operation];
    state_->passphrases.push_back(passphrase);
    json::object out;
    out["Certificate"] = certs::to_pem(cert);
    out["CertificateChain"] = certs::to_pem(state_->ca.certificate());
    out["PrivateKey"] = encrypted_pkcs8(state_->current.key.get(), passphrase);
    return json_reply(out);
  }
  return aws_json_error(400, "UnknownOperationException", "");
}

}  // namespace mtls::test

namespace mtls::test {

std::map<std::string, std::string> acm_environment(const FakeAcm& acm, const std::string& home,
                                                   bool keys) {
  std::map<std::string, std::string> env = {{"AWS_ENDPOINT_URL_ACM", acm.url()},
                                            {"AWS_CA_BUNDLE", acm.ca_bundle()},
                                            {"AWS_REGION", acm.options().region},
                                            {"AWS_EC2_METADATA_DISABLED", "true"},
                                            {"HOME", home}};
  if (keys) {
    env["AWS_ACCESS_KEY_ID"] = acm.options().access_key_id;
    env["AWS_SECRET_ACCESS_KEY"] = acm.options().secret_access_key;
    if (!acm.options().session_token.empty())
      env["AWS_SESSION_TOKEN"] = acm.options().session_token;
  }
  return env;
}

config::Config acm_sidecar_config(const FakeAcm& acm, std::uint16_t backend_port,
                                  const std::string& peer_dns, config::Duration refresh) {
  config::Config c;
  c.workers = 1;
  c.admin.listen = {"127.0.0.1", 0};
  c.identity.source = config::IdentitySource::acm;
  c.identity.acm.certificate_arn = acm.certificate_arn();
  c.identity.acm.refresh_interval = refresh;
  c.trust.ca_bundle = acm.issuing_ca_file();
  config::InboundListener in;
  in.name = "in";
  in.listen = {"127.0.0.1", 0};
  in.forward = {"127.0.0.1", backend_port};
  in.allow.dns_names = {peer_dns};
  c.inbound.push_back(std::move(in));
  return c;
}

TestPki::Files acm_peer(const FakeAcm& acm, const std::string& dir, const std::string& name,
                        const std::string& dns) {
  const certs::IssuedCertificate issued = acm.issuing_ca().issue(leaf_request("", {dns}));
  TestPki::Files files{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
  certs::write_file(files.cert, certs::to_pem(issued.cert.get()), 0644);
  certs::write_file(files.key, certs::to_pem(issued.key.get()), 0600);
  return files;
}

}  // namespace mtls::test
