#include "certs/aws/json_client.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <cmath>
#include <thread>

#include "certs/aws/beast_http_client.hpp"
#include "certs/aws/remote_credentials.hpp"

namespace mtls::certs::aws {
namespace {

namespace json = boost::json;

std::string excerpt(const std::string& body) {
  return body.size() <= 300 ? body : body.substr(0, 300) + "...";
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

std::string ca_bundle(const Environment& env) { return env("AWS_CA_BUNDLE").value_or(""); }

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

json::object JsonServiceClient::call_object(const std::string& operation,
                                            const json::object& body) {
  std::string request = json::serialize(body);
  Wipe wipe_request{request};
  std::string reply = call(operation, request);
  Wipe wipe_reply{reply};
  boost::system::error_code ec;
  json::value doc = json::parse(reply, ec);
  if (ec || !doc.is_object())
    throw AwsCallError(operation, "", "reply is not a JSON object: " + excerpt(reply), 200);
  return std::move(doc.as_object());
}

AwsContext::AwsContext(Environment environment)
    : AwsContext(environment, std::make_unique<BeastHttpClient>(ca_bundle(environment))) {}

AwsContext::AwsContext(Environment environment, std::unique_ptr<HttpClient> client)
    : env(std::move(environment)),
      http(std::move(client)),
      credentials(default_credential_chain(env, *http)) {}

Url endpoint_for(const AwsService& service, const std::string& region, const Environment& env) {
  return resolve_endpoint(service, "", region, env).url;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()));
  out.resize(std::size_t(n));
  return out;
}

std::string base64_decode(std::string_view text) {
  const auto valid = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  };
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  bool ok = text.size() % 4 == 0;
  for (std::size_t i = 0; ok && i < text.size() - pad; ++i) ok = valid(text[i]);
  if (!ok) throw std::invalid_argument("not base64");
  std::string out(3 * text.size() / 4, '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(text.data()), int(text.size()));
  if (n < 0) throw std::invalid_argument("not base64");
  out.resize(std::size_t(n) - pad);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

}  // namespace mtls::certs::aws
