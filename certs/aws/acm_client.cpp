#include "certs/aws/acm_client.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <vector>

namespace mtls::certs::aws {
namespace {

namespace json = boost::json;

json::object parse_object(const std::string& body, const std::string& operation) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object())
    throw AwsCallError(
        operation, "",
        "reply is not a JSON object: " + (body.size() <= 300 ? body : body.substr(0, 300) + "..."),
        200);
  return std::move(doc.as_object());
}

std::string string_field(const json::object& o, const char* name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

AcmExport::~AcmExport() { OPENSSL_cleanse(private_key.data(), private_key.size()); }

std::string random_export_passphrase(std::size_t length) {
  if (length < 4 || length > 128) throw std::invalid_argument("passphrase length must be 4..128");
  // 64 symbols: a random byte modulo 64 is uniform.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
  std::vector<unsigned char> bytes(length);
  if (RAND_bytes(bytes.data(), static_cast<int>(length)) != 1)
    throw std::runtime_error("RAND_bytes failed: no passphrase for ExportCertificate");
  std::string out(length, '\0');
  for (std::size_t i = 0; i < length; ++i) out[i] = kAlphabet[bytes[i] % 64];
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return out;
}

AcmExport AcmClient::export_certificate(const std::string& arn, const std::string& passphrase) {
  std::string encoded = base64_encode(passphrase);
  Wipe wipe_encoded{encoded};
  std::string body = "{\"CertificateArn\":" + json::serialize(json::string(arn)) +
                     ",\"Passphrase\":\"" + encoded + "\"}";
  Wipe wipe_body{body};
  std::string reply = json_.call("ExportCertificate", body);
  Wipe wipe_reply{reply};
  const json::object o = parse_object(reply, "ExportCertificate");
  AcmExport out;
  out.certificate = string_field(o, "Certificate");
  out.certificate_chain = string_field(o, "CertificateChain");
  out.private_key = string_field(o, "PrivateKey");
  // json::object's copy of the key is freed, not wiped: Boost.JSON offers no hook for that.
  if (out.certificate.empty() || out.private_key.empty())
    throw AwsCallError("ExportCertificate", "", "reply has no Certificate or PrivateKey", 200);
  return out;
}

AcmCertificateInfo AcmClient::describe_certificate(const std::string& arn) {
  const std::string body = "{\"CertificateArn\":" + json::serialize(json::string(arn)) + "}";
  const json::object o =
      parse_object(json_.call("DescribeCertificate", body), "DescribeCertificate");
  const json::value* c = o.if_contains("Certificate");
  if (c == nullptr || !c->is_object())
    throw AwsCallError("DescribeCertificate", "", "reply has no Certificate", 200);
  const json::object& cert = c->as_object();
  AcmCertificateInfo info;
  info.serial = string_field(cert, "Serial");
  info.status = string_field(cert, "Status");
  // A timestamp: epoch seconds, a JSON number (fractional in some replies).
  if (const json::value* t = cert.if_contains("NotAfter"); t && t->is_number()) {
    info.not_after = static_cast<std::time_t>(t->to_number<double>());
  }
  return info;
}

}  // namespace mtls::certs::aws
