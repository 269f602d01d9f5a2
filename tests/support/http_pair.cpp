#include "tests/support/http_pair.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "tests/support/backends.hpp"

namespace mtls::test {

HttpPair::HttpPair(const std::function<void(config::Config&)>& tweak)
    : frontend(pki.leaf("frontend", kFrontendId, {"frontend.local"})),
      backend_files(pki.leaf("backend", kBackendId, {"backend.local"})) {
  config::Config in = base_config(pki, backend_files);
  in.inbound.push_back(inbound_listener(backend.port()));
  in.inbound.back().protocol = config::Protocol::http;
  in.http.identity_headers.spiffe_id = "x-client-spiffe-id";
  in.http.identity_headers.hash = "x-client-cert-hash";
  if (tweak) tweak(in);
  inbound = std::make_unique<proxy::Sidecar>(std::move(in), proxy::SidecarOptions{.admin = false});
  inbound->start();

  config::Config out = base_config(pki, frontend);
  out.outbound.push_back(outbound_listener(inbound->port("in")));
  out.outbound.back().protocol = config::Protocol::http;
  if (tweak) tweak(out);
  outbound =
      std::make_unique<proxy::Sidecar>(std::move(out), proxy::SidecarOptions{.admin = false});
  outbound->start();
}

proxy::ProbeResult HttpPair::to_inbound(const std::string& bytes) const {
  proxy::ProbeOptions o;
  o.port = inbound->port("in");
  o.ca_file = pki.ca_bundle();
  o.cert_file = frontend.cert;
  o.key_file = frontend.key;
  o.server_name = "backend.local";
  o.timeout = std::chrono::milliseconds(10000);
  return proxy::tls_probe(o, bytes);
}

double HttpPair::inbound_metric(const std::string& name,
                                const std::map<std::string, std::string>& labels) const {
  return sample(inbound->metrics().serialize(), name, labels);
}

double HttpPair::outbound_metric(const std::string& name,
                                 const std::map<std::string, std::string>& labels) const {
  return sample(outbound->metrics().serialize(), name, labels);
}

namespace {
template <class Get>
double wait_for_value(Get get, double want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  double v = get();
  while (v != want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    v = get();
  }
  return v;
}
}  // namespace

double HttpPair::wait_inbound_metric(const std::string& name,
                                     const std::map<std::string, std::string>& labels,
                                     double want) const {
  return wait_for_value([&] { return inbound_metric(name, labels); }, want);
}

double HttpPair::wait_outbound_metric(const std::string& name,
                                      const std::map<std::string, std::string>& labels,
                                      double want) const {
  return wait_for_value([&] { return outbound_metric(name, labels); }, want);
}

std::string cert_der_sha256(const std::string& pem_file) {
  FILE* f = std::fopen(pem_file.c_str(), "r");
  if (f == nullptr) return {};
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) return {};
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  X509_free(cert);
  const std::string text(reinterpret_cast<char*>(der), std::size_t(len));
  OPENSSL_free(der);
  return sha256_hex(text);
}

}  // namespace mtls::test
