// http: the settings of protocol: http listeners.

#include "config/schema.hpp"

namespace mtls::config::detail {

void read_http(const MapReader& top, HttpConfig& out) {
  const MapReader http(top.diag(), top.get("http"), {"pool"});
  read_http_pool(http, out.pool);
}

}  // namespace mtls::config::detail
