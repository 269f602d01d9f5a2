#include "certs/aws/json_client.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <random>
#include <thread>

#include "certs/aws/beast_http_client.hpp"
#include "certs/aws/remote_credentials.hpp"

namespace mtls::certs::aws {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr int kAttempts = 4;
constexpr auto kBackoffBase = 200ms;
constexpr auto kTimeout = 10s;

std::string ca_bundle(const Environment& env) { return env("AWS_CA_BUNDLE").value_or(""); }

bool retryable(const std::string& code, unsigned status) {
  return status >= 500 || code == "ThrottlingException" || code == "TooManyRequestsException" ||
         code == "RequestLimitExceeded" || code == "LimitExceededException";
}

bool stale_credentials(const std::string& code) {
  return code == "ExpiredTokenException" || code == "UnrecognizedClientException";
}

// "com.amazonaws.kms#AccessDeniedException" -> "AccessDeniedException", as the SDKs read it.
AwsError error_of(const HttpResponse& r) {
  boost::system::error_code ec;
  const json::value doc = json::parse(r.body, ec);
  std::string code, message;
  if (!ec && doc.is_object()) {
    const json::object& o = doc.as_object();
    if (const auto* t = o.if_contains("__type"); t && t->is_string()) code = t->as_string();
    for (const char* key : {"message", "Message"}) {
      if (const auto* m = o.if_contains(key); m && m->is_string()) message = m->as_string();
    }
  }
  if (const std::size_t hash = code.rfind('#'); hash != std::string::npos)
    code = code.substr(hash + 1);
  if (code.empty()) code = "HTTP " + std::to_string(r.status);
  if (message.empty()) message = r.body.substr(0, 200);
  return AwsError(code, message, r.status);
}

// Full jitter: a uniformly random wait in [0, base * 2^attempt).
void back_off(int attempt) {
  thread_local std::mt19937 random(std::random_device{}());
  const auto cap = kBackoffBase * (1 << attempt);
  std::uniform_int_distribution<long> wait(0, long(cap.count()));
  std::this_thread::sleep_for(std::chrono::milliseconds(wait(random)));
}

}  // namespace

AwsContext::AwsContext(Environment environment)
    : AwsContext(environment, std::make_unique<BeastHttpClient>(ca_bundle(environment))) {}

AwsContext::AwsContext(Environment environment, std::unique_ptr<HttpClient> client)
    : env(std::move(environment)),
      http(std::move(client)),
      credentials(default_credential_chain(env, *http)) {}

AwsError::AwsError(std::string code, std::string message, unsigned status)
    : std::runtime_error(code.empty() ? message : code + ": " + message),
      code_(std::move(code)),
      message_(std::move(message)),
      status_(status) {}

Url endpoint_for(const AwsService& service, const std::string& region, const Environment& env) {
  return resolve_endpoint(service, "", region, env).url;
}

json::object call_json(AwsContext& aws, const JsonCall& call, const json::object& body) {
  const std::string payload = json::serialize(body);
  bool refreshed = false;
  for (int attempt = 0;; ++attempt) {
    HttpRequest request{"POST",
                        "/",
                        "",
                        {{"Host", call.endpoint.host_header()},
                         {"Content-Type", "application/x-amz-json-1.1"},
                         {"X-Amz-Target", call.target}},
                        payload};
    aws.signer.sign(request, aws.credentials.get(), {call.region, call.service.signing_name},
                    std::chrono::system_clock::now());
    HttpResponse r;
    try {
      r = aws.http->send(call.endpoint, request, kTimeout);
    } catch (const HttpError& e) {
      if (attempt + 1 >= kAttempts) throw AwsError("", e.what(), 0);
      back_off(attempt);
      continue;
    }
    if (r.status == 200) {
      boost::system::error_code ec;
      json::value doc = json::parse(r.body, ec);
      OPENSSL_cleanse(r.body.data(), r.body.size());  // may hold a data key
      if (ec || !doc.is_object())
        throw AwsError("", call.target + ": reply is not a JSON object", r.status);
      return std::move(doc.as_object());
    }
    AwsError error = error_of(r);
    if (stale_credentials(error.code()) && !refreshed) {
      refreshed = true;
      aws.credentials.invalidate();
      continue;
    }
    if (!retryable(error.code(), r.status) || attempt + 1 >= kAttempts) throw error;
    back_off(attempt);
  }
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
