#include "tests/support/inbound_fixture.hpp"

#include <chrono>
#include <thread>

#include "certs/pem.hpp"
#include "certs/x509_fields.hpp"

namespace mtls::test {

InboundFixture::InboundFixture(const std::function<void(config::Config&, const TestPki&)>& tweak,
                               unsigned workers)
    : backend(Backend::Mode::echo), server(pki.leaf("backend", kBackendId, {"backend.local"})) {
  config::Config c = base_config(pki, server, workers);
  c.inbound.push_back(inbound_listener(backend.port()));
  if (tweak) tweak(c, pki);
  sidecar = std::make_unique<proxy::Sidecar>(
      std::move(c), proxy::SidecarOptions{.handle_signals = false, .admin = false});
  sidecar->start();
}

proxy::ProbeOptions InboundFixture::options(const TestPki::Files& client,
                                            SSL_SESSION* session) const {
  return {.port = sidecar->port("in"),
          .ca_file = pki.ca_bundle(),
          .cert_file = client.cert,
          .key_file = client.key,
          .session = session,
          .reply_size = kPing.size()};
}

proxy::ProbeResult InboundFixture::connect(const TestPki::Files& client, SSL_SESSION* session,
                                           int max_version) {
  proxy::ProbeOptions o = options(client, session);
  o.max_version = max_version;
  return ping(o);
}

double InboundFixture::handshakes(const std::string& reason) const {
  return sample(sidecar->metrics().serialize(), "mtls_handshakes_total", {{"reason", reason}});
}

double InboundFixture::refused(const std::string& reason) const {
  return sample(sidecar->metrics().serialize(), "mtls_connections_refused_total",
                {{"reason", reason}});
}

std::time_t not_after_of(const std::string& cert_file) {
  return certs::to_time_t(X509_get0_notAfter(certs::load_certificates(cert_file).front().get()));
}

void wait_until_past(std::time_t t) {
  while (std::time(nullptr) <= t) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace mtls::test
