// http.pool: the outbound upstream connection pool of protocol: http listeners.

#include <cstdint>
#include <limits>

#include "config/schema.hpp"

namespace mtls::config::detail {

void read_http_pool(const MapReader& http, HttpPoolConfig& out) {
  const MapReader pool(http.diag(), http.get("pool"),
                       {"max_idle_per_destination", "max_per_destination", "idle_timeout"});
  pool.read_integer("max_idle_per_destination", out.max_idle_per_destination, 0, 100000);
  pool.read_integer("max_per_destination", out.max_per_destination, 0,
                    std::numeric_limits<std::uint32_t>::max());
  pool.read("idle_timeout", out.idle_timeout, false);
}

}  // namespace mtls::config::detail
