#include "certs/aws/acm_client.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <cmath>
#include <thread>
#include <vector>

namespace mtls::certs::aws {
namespace {

namespace json = boost::json;

// Wipes a string that held a passphrase or a key when it goes out of scope.
struct Wipe {
  std::string& text;
  ~Wipe() { OPENSSL_cleanse(text.data(), text.size()); }
};

std::string excerpt(const std::string& body) {
  return body.size() <= 300 ? body : body.substr(0, 300) + "...";
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// {"__type": "com.amazon.coral.service#AccessDeniedException", "message": "..."}: the code is
// what follows the last '#'; services spell the message "message" or "Message".
void parse_error(const std::string& body, std::string& code, std::string& message) {
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return;
  const json::object& o = doc.as_object();
  if (const json::value* t = o.if_contains("__type"); t && t->is_string()) {
    const std::string type(t->as_string());
    code = type.substr(type.rfind('#') == std::string::npos ? 0 : type.rfind('#') + 1);
  }
  for (const char* key : {"message", "Message"}) {
    if (const json::value* m = o.if_contains(key); m && m->is_string()) {
      message = std::string(m->as_string());
      break;
    }
  }
}

bool is_expired_token(const std::string& code) {
  return code == "ExpiredTokenException" || code == "UnrecognizedClientException" ||
         code == "InvalidClientTokenId" || code == "ExpiredToken";
}

json::object parse_object(const std::string& body, const std::string& operation) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object())
    throw AwsCallError(operation, "", "reply is not a JSON object: " + excerpt(body), 200);
  return std::move(doc.as_object());
}

std::string string_field(const json::object& o, const char* name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

AwsCallError::AwsCallError(std::string operation, std::string code, std::string message,
                           unsigned status)
    : std::runtime_error(operation + ": " + (code.empty() ? "" : code + ": ") + message),
      code_(std::move(code)),
      message_(std::move(message)),
      status_(status) {}

bool is_throttling(const std::string& code) {
  for (const char* c :
       {"ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException",
        "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown"}) {
    if (code == c) return true;
  }
  return false;
}

JsonServiceClient::JsonServiceClient(AwsService service, std::string target_prefix, Url endpoint,
                                     std::string region, CachedCredentials& credentials,
                                     HttpClient& http, RetryPolicy retry)
    : service_(std::move(service)),
      target_prefix_(std::move(target_prefix)),
      endpoint_(std::move(endpoint)),
      region_(std::move(region)),
      credentials_(credentials),
      http_(http),
      retry_(retry),
      random_(std::random_device{}()) {}

HttpResponse JsonServiceClient::send_once(const std::string& operation, const std::string& body) {
  HttpRequest request{"POST",
                      endpoint_.path,
                      "",
                      {{"Host", endpoint_.host_header()},
                       {"Content-Type", "application/x-amz-json-1.1"},
                       {"X-Amz-Target", target_prefix_ + "." + operation}},
                      body};
  const Credentials credentials = credentials_.get();
  signer_.sign(request, credentials, {region_, service_.signing_name},
               std::chrono::system_clock::now());
  request.headers.emplace_back("User-Agent", "mtls-sidecar");
  Wipe wipe_body{request.body};
  return http_.send(endpoint_, request, retry_.timeout);
}

std::string JsonServiceClient::call(const std::string& operation, const std::string& body) {
  bool refreshed_credentials = false;
  for (int attempt = 1;; ++attempt) {
    std::string code, message;
    unsigned status = 0;
    try {
      HttpResponse response = send_once(operation, body);
      if (response.status == 200) return std::move(response.body);
      status = response.status;
      parse_error(response.body, code, message);
      if (message.empty())
        message = "HTTP " + std::to_string(status) + ": " + excerpt(response.body);
    } catch (const HttpError& e) {
      message = e.what();
    }
    if (is_expired_token(code) && !refreshed_credentials) {
      refreshed_credentials = true;  // keys rotated under us: resolve again, then one more try
      credentials_.invalidate();
      --attempt;
      continue;
    }
    const bool retryable = status == 0 || status >= 500 || is_throttling(code);
    if (!retryable || attempt >= retry_.max_attempts)
      throw AwsCallError(operation, code, message, status);
    const double ceiling = std::min<double>(double(retry_.cap.count()),
                                            double(retry_.base.count()) * std::pow(2.0, attempt));
    std::uniform_real_distribution<double> jitter(0.0, ceiling);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::llround(jitter(random_))));
  }
}

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
  std::string encoded = base64(passphrase);
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
