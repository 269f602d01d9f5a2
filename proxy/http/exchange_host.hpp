#pragma once
// What the HTTP engine (exchange.hpp) needs of the session that owns it: the per-request
// decisions, accounting and the connection's end. Implemented by the inbound and outbound HTTP
// sessions; the engine itself knows neither TLS nor identities.

#include <cstdint>
#include <string>
#include <string_view>

#include "metrics/labels.hpp"

namespace mtls::proxy::http {

struct Head;

// A request the session refuses before it reaches the upstream (status 0: forward it).
struct Refusal {
  unsigned status = 0;
  metrics::HttpError reason = metrics::HttpError::route_denied;
  std::string rule;
  bool close = false;  // end the connection after the answer, whatever the request asked
};

// One finished request/response, for metrics and the access log.
struct Record {
  std::string method;
  std::string target;
  unsigned status = 0;
  std::uint64_t request_bytes = 0;   // request body, as decoded
  std::uint64_t response_bytes = 0;  // response body, as decoded
  double seconds = 0;                // first byte of the request to last byte of the response
  std::string rule;
};

// Where the engine is, for the session's deadlines.
enum class Waiting {
  next_request,  // between requests: http.idle_timeout
  request_head,  // a request head has begun: http.request_timeout
  exchange,      // a request is being relayed: limits.idle_timeout, extended by traffic
  closing,       // our answer is out, the connection closes: kLingerTime for the client's rest
};

class ExchangeHost {
 public:
  virtual ~ExchangeHost() = default;
  // A request head passed the strict checks: rewrite it (identity headers) or refuse it.
  virtual Refusal on_request(Head& head) = 0;
  virtual void on_record(const Record& record) = 0;
  // A protocol error (counted once, logged once); the engine then answers and/or closes.
  virtual void on_http_error(metrics::HttpError error, std::string_view detail) = 0;
  virtual void on_bytes(metrics::Side from, std::size_t n) = 0;
  virtual void on_waiting(Waiting waiting) = 0;
  // The engine is done with the connection: the session ends (result and reason as in
  // Session::finish). A failed wait (the session closed the streams on a deadline) also ends here.
  virtual void on_http_end(std::string_view result, std::string_view reason,
                           std::string_view detail) = 0;
  // Upgrade (101) or CONNECT (2xx) went through and every byte already read was passed on: the
  // connection now belongs to the byte relay.
  virtual void on_tunnel() = 0;
  // The upstream failed before any byte of the response to a request that may be sent again, or
  // ended while idle before this connection's first request. true: the host takes another
  // upstream connection and calls Exchange::resume_on() with it (at most once per downstream
  // connection, and only when the failed connection was a reused one: a new connection that
  // fails is a real failure).
  virtual bool on_upstream_lost() { return false; }
};

}  // namespace mtls::proxy::http
