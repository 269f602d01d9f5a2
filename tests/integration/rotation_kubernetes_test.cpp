// Kubernetes Secret volume rotation: the kubelet swaps `..data` to a new timestamped directory in
// one rename; the sidecar (inotify on the directory) serves the new certificate to the next
// client within 2 s, without a SIGHUP, and reloads once per swap. Prints the measured latency
// (change on disk -> new serial served) of each swap.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

using Clock = std::chrono::steady_clock;

std::map<std::string, std::string> secret(const TestPki& pki, const IssuedPem& leaf) {
  return {{"tls.crt", leaf.cert},
          {"tls.key", leaf.key},
          {"ca.crt", certs::to_pem(pki.ca().certificate())}};
}

TEST(RotationKubernetes, AFreshClientSeesTheNewSerialWithinTwoSecondsOfTheDataSwap) {
  TestPki pki;
  Backend backend(Backend::Mode::echo);
  SecretVolume volume(pki.dir() + "/secret");
  IssuedPem serving = issue_pem(pki.ca(), kBackendId, {"backend.local"});
  volume.publish(secret(pki, serving));

  config::Config c = base_config(pki, {volume.path("tls.crt"), volume.path("tls.key")});
  c.trust.ca_bundle = volume.path("ca.crt");
  c.inbound.push_back(inbound_listener(backend.port()));
  proxy::Sidecar sidecar(std::move(c), {.handle_signals = false, .admin = false});
  sidecar.start();

  const TestPki::Files client = pki.leaf("frontend", kFrontendId, {"frontend.local"});
  const auto served = [&] {
    return ping({.port = sidecar.port("in"),
                 .ca_file = pki.ca_bundle(),
                 .cert_file = client.cert,
                 .key_file = client.key});
  };
  ASSERT_EQ(served().server_serial, serving.serial);

  constexpr int kSwaps = 10;
  std::vector<double> latencies_ms;
  for (int i = 0; i < kSwaps; ++i) {
    serving = issue_pem(pki.ca(), kBackendId, {"backend.local"});
    const auto swapped = Clock::now();
    volume.publish(secret(pki, serving));
    proxy::ProbeResult last;
    const bool seen = eventually([&] { return (last = served()).server_serial == serving.serial; },
                                 std::chrono::seconds(2));
    ASSERT_TRUE(seen) << "swap " << i << ": still serving " << last.server_serial << last.error;
    EXPECT_TRUE(accepted(last)) << last.error;
    latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - swapped).count());
  }

  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::cout << "[ measure  ] reload latency (..data swap -> new serial served), " << kSwaps
            << " swaps: min " << latencies_ms.front() << " ms, median " << latencies_ms[kSwaps / 2]
            << " ms, max " << latencies_ms.back() << " ms\n";
  const std::string text = sidecar.metrics().serialize();
  EXPECT_EQ(sample(text, "mtls_certificate_reloads_total", {{"result", "success"}}), 1 + kSwaps);
  EXPECT_EQ(sample(text, "mtls_certificate_reloads_total", {{"result", "failure"}}), 0);
}

}  // namespace
}  // namespace mtls::test
