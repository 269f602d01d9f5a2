#pragma once
// What inbound and outbound HTTP sessions share on top of Session: the engine's host duties
// that do not depend on the direction (metrics, access log, deadlines, the connection's end).

#include "proxy/http/exchange_host.hpp"
#include "proxy/session.hpp"

namespace mtls::proxy::http {

class HttpSession : public Session, public ExchangeHost {
 public:
  // How long a connection we close after our own answer keeps reading (and dropping) input.
  static constexpr std::chrono::seconds kLingerTime{2};

  HttpSession(Listener& listener, Worker& worker);

 protected:
  void on_record(const Record& record) override;
  void on_http_error(metrics::HttpError error, std::string_view detail) override;
  void on_bytes(metrics::Side from, std::size_t n) override;
  void on_waiting(Waiting waiting) override;
  void on_http_end(std::string_view result, std::string_view reason,
                   std::string_view detail) override;
  // What the engine waits for now (the deadline that fired, when one did).
  virtual Waiting engine_waiting() const = 0;
  // Why an answer of the engine's own ends the connection ("" when none did).
  virtual std::string_view engine_close_reason() const = 0;

  const config::HttpConfig& http_config() const;
};

}  // namespace mtls::proxy::http
