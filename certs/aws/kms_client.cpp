#include "certs/aws/kms_client.hpp"

#include <openssl/crypto.h>

#include <boost/json.hpp>
#include <stdexcept>

namespace mtls::certs::aws {
namespace {

namespace json = boost::json;

json::object context_object(const EncryptionContext& context) {
  json::object o;
  for (const auto& [k, v] : context) o[k] = v;
  return o;
}

std::string text_field(const json::object& o, const char* name, const char* operation) {
  const json::value* v = o.if_contains(name);
  if (!v || !v->is_string())
    throw AwsCallError(operation, "", std::string("reply has no ") + name, 200);
  return std::string(v->as_string());
}

// Decodes a secret field and wipes its base64 text in the parsed reply.
SecretBytes secret_field(json::object& o, const char* name, const char* operation) {
  json::value* v = o.if_contains(name);
  if (!v || !v->is_string())
    throw AwsCallError(operation, "", std::string("reply has no ") + name, 200);
  json::string& text = v->as_string();
  SecretBytes out{base64_decode(text)};
  OPENSSL_cleanse(text.data(), text.size());
  return out;
}

std::string region_for(const std::string& configured, const std::string& key_id,
                       const Environment& env) {
  if (!configured.empty()) return configured;
  if (auto r = region_of_arn(key_id)) return *r;
  if (auto r = resolve_region("", env)) return r->region;
  throw std::runtime_error("no AWS region for KMS key " + key_id +
                           ": give a key ARN, --region, or set AWS_REGION");
}

}  // namespace

std::optional<std::string> region_of_arn(std::string_view arn) {
  // arn:PARTITION:kms:REGION:ACCOUNT:key/ID or alias/NAME
  if (!arn.starts_with("arn:")) return std::nullopt;
  const std::size_t partition_end = arn.find(':', 4);
  if (partition_end == std::string_view::npos || arn.substr(partition_end, 5) != ":kms:")
    return std::nullopt;
  const std::size_t region_start = partition_end + 5;
  const std::size_t region_end = arn.find(':', region_start);
  if (region_end == std::string_view::npos || region_end == region_start) return std::nullopt;
  return std::string(arn.substr(region_start, region_end - region_start));
}

KmsClient::KmsClient(AwsContext& aws, const std::string& region)
    : json_(kKms, "TrentService", endpoint_for(kKms, region, aws.env), region, aws.credentials,
            *aws.http) {}

json::object KmsClient::call(const char* operation, const json::object& body) {
  return json_.call_object(operation, body);
}

KmsClient::DataKey KmsClient::generate_data_key(const std::string& key_id,
                                                const EncryptionContext& context) {
  json::object reply = call(
      "GenerateDataKey",
      {{"KeyId", key_id}, {"KeySpec", "AES_256"}, {"EncryptionContext", context_object(context)}});
  DataKey key;
  key.plaintext = secret_field(reply, "Plaintext", "GenerateDataKey");
  key.key_id = text_field(reply, "KeyId", "GenerateDataKey");
  key.wrapped = base64_decode(text_field(reply, "CiphertextBlob", "GenerateDataKey"));
  return key;
}

SecretBytes KmsClient::decrypt(const std::string& wrapped, const std::string& key_id,
                               const EncryptionContext& context) {
  json::object reply = call("Decrypt", {{"CiphertextBlob", base64_encode(wrapped)},
                                        {"KeyId", key_id},
                                        {"EncryptionContext", context_object(context)}});
  return secret_field(reply, "Plaintext", "Decrypt");
}

std::string kms_wrap(AwsContext& aws, const std::string& region, const std::string& key_id,
                     const EncryptionContext& context, std::string_view plaintext) {
  KmsClient kms(aws, region_for(region, key_id, aws.env));
  const KmsClient::DataKey key = kms.generate_data_key(key_id, context);
  return seal_envelope(key.key_id, context, key.wrapped, key.plaintext, plaintext);
}

SecretBytes kms_unwrap(AwsContext& aws, std::string_view envelope_text) {
  const KmsEnvelope envelope = parse_envelope(envelope_text);
  KmsClient kms(aws, region_for("", envelope.key_id, aws.env));
  SecretBytes data_key;
  try {
    data_key = kms.decrypt(envelope.wrapped_key, envelope.key_id, envelope.context);
  } catch (const AwsCallError& e) {
    // The operation is in the prefix already: "KMS Decrypt with KEY: Code: message".
    throw std::runtime_error("KMS Decrypt with " + envelope.key_id + ": " +
                             (e.code().empty() ? "" : e.code() + ": ") + e.message());
  } catch (const std::exception& e) {
    throw std::runtime_error("KMS Decrypt with " + envelope.key_id + ": " + e.what());
  }
  return open_envelope(envelope, data_key);
}

}  // namespace mtls::certs::aws
