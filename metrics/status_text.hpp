#pragma once
// `mtls-sidecar status`: the GET /status document as terminal tables, for ssh sessions and
// `kubectl exec` where no browser reaches the admin port. Pure function of the JSON text.

#include <string>

namespace mtls::metrics {

// Throws std::exception when `status_json` is not a /status document.
std::string status_text(const std::string& status_json);

}  // namespace mtls::metrics
