// Bad writes to the watched certificate files: a key that does not match, a truncated PEM, an
// expired leaf, a chain to an unknown CA, an empty file, a deleted file. Each is seen by the
// watcher, refused with its reason in the log, and the old identity keeps serving; the next good
// write (certificate and key written one after the other) is picked up without a SIGHUP.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <functional>

#include "certs/pem.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/rotation_support.hpp"
#include "tests/support/sidecar_pair.hpp"

namespace mtls::test {
namespace {

struct BadWrite {
  const char* name;
  const char* logged;  // part of the refusal's log line
  std::function<void()> write;
};

void write_pair(const TestPki::Files& files, const IssuedPem& leaf) {
  certs::write_file(files.cert, leaf.cert, 0644);
  certs::write_file(files.key, leaf.key, 0600);
}

TEST(RotationBadReload, EachBadWriteKeepsTheOldIdentityAndTheNextGoodWriteIsPickedUp) {
  LogCapture log;
  TestPki pki;
  const TestPki other = pki.other_ca();
  Backend backend(Backend::Mode::echo);
  const TestPki::Files files{pki.dir() + "/identity/tls.crt", pki.dir() + "/identity/tls.key"};
  std::filesystem::create_directories(pki.dir() + "/identity");
  IssuedPem serving = issue_pem(pki.ca(), kBackendId, {"backend.local"});
  write_pair(files, serving);

  config::Config c = base_config(pki, files);
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

  const IssuedPem stranger = issue_pem(pki.ca(), kBackendId);
  const IssuedPem expired =
      issue_pem(pki.ca(), kBackendId, {}, std::chrono::hours(24), -std::chrono::hours(48));
  const IssuedPem foreign = issue_pem(other.ca(), kBackendId);
  const std::vector<BadWrite> bad_writes = {
      {"key that does not match", "does not match the certificate",
       [&] { certs::write_file(files.key, stranger.key, 0600); }},
      {"truncated PEM", "malformed PEM",
       [&] {
         certs::write_file(files.cert, serving.cert.substr(0, serving.cert.size() / 2), 0644);
       }},
      {"expired leaf", "certificate has expired", [&] { write_pair(files, expired); }},
      {"chain to an unknown CA", "does not chain to the trust bundle",
       [&] { write_pair(files, foreign); }},
      {"empty file", "no certificate found", [&] { certs::write_file(files.cert, "", 0644); }},
      {"file deleted", "cannot read", [&] { std::remove(files.cert.c_str()); }},
  };

  for (const BadWrite& bad : bad_writes) {
    SCOPED_TRACE(bad.name);
    const std::size_t lines_before = log.lines().size();
    bad.write();
    const auto refused = [&] {
      const std::vector<std::string> lines = log.lines();
      for (std::size_t i = lines_before; i < lines.size(); ++i) {
        if (lines[i].find("certificate reload failed") != std::string::npos &&
            lines[i].find(bad.logged) != std::string::npos)
          return true;
      }
      return false;
    };
    ASSERT_TRUE(eventually(refused, std::chrono::seconds(3))) << "no refusal logged";
    EXPECT_EQ(sidecar.contexts()->serial_hex, serving.serial);
    const proxy::ProbeResult old = served();
    EXPECT_TRUE(accepted(old)) << old.error;
    EXPECT_EQ(old.server_serial, serving.serial);

    serving = issue_pem(pki.ca(), kBackendId, {"backend.local"});
    write_pair(files, serving);
    EXPECT_TRUE(eventually([&] { return served().server_serial == serving.serial; },
                           std::chrono::seconds(3)))
        << "the good write after the bad one was not picked up";
  }
  EXPECT_GE(sample(sidecar.metrics().serialize(), "mtls_certificate_reloads_total",
                   {{"result", "failure"}}),
            double(bad_writes.size()));
}

}  // namespace
}  // namespace mtls::test
