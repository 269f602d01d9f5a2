#pragma once
// The two ACM operations the identity source makes, over JsonServiceClient (certs/aws/json_client:
// the AWS JSON 1.1 protocol, its errors, retries and credential refresh). Calls block: run them
// on the loader thread, never on the data path or the control thread. Thread-compatible: one
// caller at a time.

#include <ctime>
#include <optional>
#include <string>

#include "certs/aws/json_client.hpp"

namespace mtls::certs::aws {

struct AcmCertificateInfo {
  std::string serial;                    // as ACM writes it: "0a:1b:..." (lower-case hex, colons)
  std::optional<std::time_t> not_after;  // absent before the certificate is issued
  std::string status;                    // "ISSUED", "PENDING_VALIDATION", ...
};

// ExportCertificate's reply. The key is PEM "ENCRYPTED PRIVATE KEY" (PKCS#8, PBES2) under the
// passphrase of the call; the destructor wipes it.
struct AcmExport {
  std::string certificate;        // the leaf, PEM
  std::string certificate_chain;  // intermediates and root, PEM (may be empty)
  std::string private_key;
  AcmExport() = default;
  AcmExport(AcmExport&&) = default;
  AcmExport& operator=(AcmExport&&) = default;
  ~AcmExport();
};

// A passphrase for one ExportCertificate call: `length` characters of [A-Za-z0-9._] from the
// OpenSSL CSPRNG (none of the '#', '$', '%' ACM refuses); length 4..128.
std::string random_export_passphrase(std::size_t length = 32);

class AcmClient {
 public:
  explicit AcmClient(JsonServiceClient& json) : json_(json) {}
  // `passphrase` as random_export_passphrase() makes it; it travels base64-encoded (a Blob).
  AcmExport export_certificate(const std::string& arn, const std::string& passphrase);
  AcmCertificateInfo describe_certificate(const std::string& arn);

 private:
  JsonServiceClient& json_;
};

}  // namespace mtls::certs::aws
