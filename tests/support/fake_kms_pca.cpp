#include "tests/support/fake_kms_pca.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "certs/aws/json_client.hpp"
#include "tests/support/aws_json_wire.hpp"

namespace mtls::test {
namespace {

namespace json = boost::json;
using certs::aws::base64_decode;
using certs::aws::base64_encode;
using certs::aws::HttpResponse;

constexpr std::string_view kAccount = "111122223333";
constexpr std::string_view kBlobMagic = "FKMS1";
constexpr std::size_t kNonce = 12, kTag = 16;

HttpResponse error(const std::string& type, const std::string& message) {
  return aws_json_error(400, type, message);
}

HttpResponse ok(const json::object& o) {
  return {200, {{"Content-Type", "application/x-amz-json-1.1"}}, json::serialize(o)};
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), int(n)) != 1)
    throw std::runtime_error("RAND_bytes");
  return out;
}

// AES-256-GCM; open returns false when the tag does not verify.
std::string seal(const std::string& key, const std::string& nonce, const std::string& aad,
                 const std::string& plain) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  std::string out(plain.size() + kTag, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0;
  EVP_EncryptInit_ex2(ctx, EVP_aes_256_gcm(), reinterpret_cast<const unsigned char*>(key.data()),
                      reinterpret_cast<const unsigned char*>(nonce.data()), nullptr);
  EVP_EncryptUpdate(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                    int(aad.size()));
  EVP_EncryptUpdate(ctx, o, &n, reinterpret_cast<const unsigned char*>(plain.data()),
                    int(plain.size()));
  EVP_EncryptFinal_ex(ctx, o + n, &n);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, int(kTag), o + plain.size());
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

bool open(const std::string& key, const std::string& nonce, const std::string& aad,
          const std::string& sealed, std::string& plain) {
  if (sealed.size() < kTag) return false;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  plain.assign(sealed.size() - kTag, '\0');
  auto* o = reinterpret_cast<unsigned char*>(plain.data());
  int n = 0;
  std::string tag = sealed.substr(plain.size());
  EVP_DecryptInit_ex2(ctx, EVP_aes_256_gcm(), reinterpret_cast<const unsigned char*>(key.data()),
                      reinterpret_cast<const unsigned char*>(nonce.data()), nullptr);
  EVP_DecryptUpdate(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                    int(aad.size()));
  EVP_DecryptUpdate(ctx, o, &n, reinterpret_cast<const unsigned char*>(sealed.data()),
                    int(plain.size()));
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, int(kTag), tag.data());
  const bool good = EVP_DecryptFinal_ex(ctx, o + n, &n) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return good;
}

// The context as KMS binds it: order does not matter, so a sorted serialisation.
std::string canonical_context(const json::value* context) {
  std::map<std::string, std::string> sorted;
  if (context && context->is_object()) {
    for (const auto& [k, v] : context->as_object())
      sorted[std::string(k)] = v.is_string() ? std::string(v.as_string()) : json::serialize(v);
  }
  std::string out;
  for (const auto& [k, v] : sorted) out += k + "=" + v + "\n";
  return out;
}

std::string string_field(const json::object& o, const char* name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

FakeKmsPca::FakeKmsPca(TestPki& pki) : ca_file_(pki.ca_bundle()) {
  const std::string prefix =
      "arn:aws:kms:" + std::string(kRegion) + ":" + std::string(kAccount) + ":key/";
  keys_[prefix + "11111111-2222-3333-4444-555555555555"] = random_bytes(32);
  keys_[prefix + "66666666-7777-8888-9999-000000000000"] = random_bytes(32);
  const TestPki::Files tls = pki.leaf("fake-kms-pca", "", {"localhost"});
  server_ = std::make_unique<FakeHttpServer>(
      [this](const certs::aws::HttpRequest& r) { return handle(r); }, tls.cert, tls.key);
}

FakeKmsPca::~FakeKmsPca() { server_.reset(); }

std::string FakeKmsPca::key_arn() const { return keys_.begin()->first; }
std::string FakeKmsPca::other_key_arn() const { return std::next(keys_.begin())->first; }
std::string FakeKmsPca::ca_arn() const {
  return "arn:aws:acm-pca:" + std::string(kRegion) + ":" + std::string(kAccount) +
         ":certificate-authority/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
}

void FakeKmsPca::set_ca(std::string certificate, std::string chain) {
  std::lock_guard lock(mutex_);
  ca_certificate_ = std::move(certificate);
  ca_chain_ = std::move(chain);
}

void FakeKmsPca::deny(std::string operation) {
  std::lock_guard lock(mutex_);
  denied_ = std::move(operation);
}

void FakeKmsPca::fail(std::string operation, int times, unsigned status, std::string type) {
  std::lock_guard lock(mutex_);
  failures_.add(std::move(operation), times, status, type, "scripted " + type);
}

int FakeKmsPca::calls(std::string_view operation) const {
  std::lock_guard lock(mutex_);
  const auto it = calls_.find(operation);
  return it == calls_.end() ? 0 : it->second;
}

std::map<std::string, std::string> FakeKmsPca::environment() const {
  return {{"AWS_ACCESS_KEY_ID", kAccessKey},
          {"AWS_SECRET_ACCESS_KEY", kSecretKey},
          {"AWS_REGION", kRegion},
          {"AWS_ENDPOINT_URL_KMS", url()},
          {"AWS_ENDPOINT_URL_ACM_PCA", url()},
          {"AWS_CA_BUNDLE", ca_file_},
          {"AWS_EC2_METADATA_DISABLED", "true"},
          {"HOME", "/nonexistent"}};
}

HttpResponse FakeKmsPca::handle(const certs::aws::HttpRequest& r) {
  const auto call = read_json_call(r, {{{"TrentService", "kms"}, {"ACMPrivateCA", "acm-pca"}},
                                       {{kAccessKey, kSecretKey}},
                                       kRegion});
  if (const auto* refused = std::get_if<HttpResponse>(&call)) return *refused;
  const auto& [prefix, operation, service] = std::get<JsonCallTarget>(call);
  {
    std::lock_guard lock(mutex_);
    ++calls_[operation];
    if (auto failure = failures_.next(operation)) return *failure;
    if (!denied_.empty() && denied_ == operation)
      return error("AccessDeniedException",
                   "User: arn:aws:iam::111122223333:user/test is not "
                   "authorized to perform: " +
                       service + ":" + operation);
  }
  return service == "kms" ? kms(operation, r.body) : pca(operation, r.body);
}

HttpResponse FakeKmsPca::kms(const std::string& operation, const std::string& body) {
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return error("SerializationException", "body is not a JSON object");
  const json::object& in = doc.as_object();
  std::lock_guard lock(mutex_);
  // KeyId: an ARN, a bare key id or our alias.
  const auto find_key = [&](const std::string& id) -> std::string {
    if (id == kAlias) return keys_.begin()->first;
    for (const auto& [arn, key] : keys_)
      if (arn == id || arn.ends_with("/" + id)) return arn;
    return "";
  };
  const std::string context = canonical_context(in.if_contains("EncryptionContext"));
  if (operation == "GenerateDataKey") {
    const std::string arn = find_key(string_field(in, "KeyId"));
    if (arn.empty())
      return error("NotFoundException", "Key '" + string_field(in, "KeyId") + "' does not exist");
    if (string_field(in, "KeySpec") != "AES_256")
      return error("ValidationException", "KeySpec must be AES_256 here");
    const std::string data_key = random_bytes(32), nonce = random_bytes(kNonce);
    const std::string blob = std::string(kBlobMagic) +
                             char(std::distance(keys_.begin(), keys_.find(arn))) + nonce +
                             seal(keys_[arn], nonce, arn + "\n" + context, data_key);
    return ok({{"KeyId", arn},
               {"Plaintext", base64_encode(data_key)},
               {"CiphertextBlob", base64_encode(blob)}});
  }
  if (operation == "Decrypt") {
    std::string blob;
    try {
      blob = base64_decode(string_field(in, "CiphertextBlob"));
    } catch (const std::exception&) {
      return error("SerializationException", "CiphertextBlob is not base64");
    }
    const std::size_t head = kBlobMagic.size() + 1 + kNonce;
    if (blob.size() < head + kTag || !blob.starts_with(kBlobMagic) ||
        std::size_t(blob[kBlobMagic.size()]) >= keys_.size())
      return error("InvalidCiphertextException", "");
    const auto key = std::next(keys_.begin(), blob[kBlobMagic.size()]);
    if (const std::string asked = string_field(in, "KeyId");
        !asked.empty() && find_key(asked) != key->first)
      return error("IncorrectKeyException",
                   "The key ID in the request does not identify the KMS key that was used to "
                   "encrypt the ciphertext.");
    std::string data_key;
    if (!open(key->second, blob.substr(kBlobMagic.size() + 1, kNonce), key->first + "\n" + context,
              blob.substr(head), data_key))
      return error("InvalidCiphertextException", "");
    return ok({{"KeyId", key->first},
               {"Plaintext", base64_encode(data_key)},
               {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}});
  }
  return error("UnknownOperationException", "TrentService." + operation + " is not faked");
}

HttpResponse FakeKmsPca::pca(const std::string& operation, const std::string& body) {
  if (operation != "GetCertificateAuthorityCertificate")
    return error("UnknownOperationException", "ACMPrivateCA." + operation + " is not faked");
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return error("SerializationException", "body is not a JSON object");
  const std::string arn = string_field(doc.as_object(), "CertificateAuthorityArn");
  std::lock_guard lock(mutex_);
  if (arn != ca_arn() || ca_certificate_.empty())
    return error("ResourceNotFoundException", "Could not find certificate authority " + arn);
  json::object out{{"Certificate", ca_certificate_}};
  if (!ca_chain_.empty()) out["CertificateChain"] = ca_chain_;
  return ok(out);
}

}  // namespace mtls::test
