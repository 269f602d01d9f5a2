#pragma once
// KMS through JSON 1.1 (TrentService): GenerateDataKey for kms-wrap, Decrypt at every load of a
// KMS-wrapped key, and the two envelope operations built on them. Blocking: JsonServiceClient's
// rules.

#include <optional>
#include <string>
#include <string_view>

#include "certs/aws/json_client.hpp"
#include "certs/aws/kms_envelope.hpp"

namespace mtls::certs::aws {

// The region of a KMS key or alias ARN (arn:aws:kms:REGION:...); nullopt for a bare key id or
// alias name, whose region the environment must give.
std::optional<std::string> region_of_arn(std::string_view arn);

class KmsClient {
 public:
  // Calls go to AWS_ENDPOINT_URL_KMS > AWS_ENDPOINT_URL > https://kms.<region>.amazonaws.com.
  KmsClient(AwsContext& aws, const std::string& region);

  struct DataKey {
    std::string key_id;  // the key's ARN, whatever alias or id was asked for
    SecretBytes plaintext;
    std::string wrapped;  // CiphertextBlob
  };
  DataKey generate_data_key(const std::string& key_id, const EncryptionContext& context);
  // `key_id` pins the key: KMS refuses a blob of any other (IncorrectKeyException).
  SecretBytes decrypt(const std::string& wrapped, const std::string& key_id,
                      const EncryptionContext& context);

 private:
  boost::json::object call(const char* operation, const boost::json::object& body);
  JsonServiceClient json_;
};

// The envelope of `plaintext` (a PKCS#8 DER key) under a fresh data key of `key_id`. `region`:
// where KMS is called (empty: the key ARN's region, else AWS_REGION / AWS_DEFAULT_REGION /
// the profile's).
std::string kms_wrap(AwsContext& aws, const std::string& region, const std::string& key_id,
                     const EncryptionContext& context, std::string_view plaintext);
// The plaintext of an envelope: KMS Decrypt of its data key (in the region of its Key-Id ARN),
// then AES-256-GCM. Throws std::runtime_error (AwsCallError for KMS's refusals in kms_wrap) saying
// which step failed and KMS's own message.
SecretBytes kms_unwrap(AwsContext& aws, std::string_view envelope_text);

}  // namespace mtls::certs::aws
