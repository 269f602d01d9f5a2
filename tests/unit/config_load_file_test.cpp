// load_file: reading from disk, naming the file as given, resolving paths next to it, and the
// shipped config/example.yaml.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.hpp"

namespace {

namespace config = mtls::config;
namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mtls-config-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  std::string write(const std::string& name, std::string_view text) const {
    fs::create_directories((path_ / name).parent_path());
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }

 private:
  fs::path path_;
};

constexpr std::string_view kRelativePaths = R"(identity:
  source: file
  file: { cert: certs/tls.crt, key: /abs/tls.key, key_passphrase_file: ../pass }
  local_ca: { dir: ca/, key_passphrase_file: ca.pass }
trust: { ca_bundle: ca.crt, crl: crl/ca.crl }
inbound:
  - { name: web, listen: 0.0.0.0:8443, forward: 127.0.0.1:8080, allow: { any: true } }
)";

TEST(ConfigLoadFile, ResolvesRelativePathsAgainstTheConfigDirectory) {
  const TempDir dir;
  const std::string file = dir.write("etc/sidecar.yaml", kRelativePaths);
  const config::Config c = config::load_file(file);
  const std::string etc = (dir.path() / "etc").string();
  EXPECT_EQ(c.path, file);
  EXPECT_EQ(c.identity.file.cert, etc + "/certs/tls.crt");
  EXPECT_EQ(c.identity.file.key, "/abs/tls.key");  // absolute: unchanged
  EXPECT_EQ(c.identity.file.key_passphrase_file, etc + "/../pass");
  EXPECT_EQ(c.identity.local_ca.dir, etc + "/ca/");
  EXPECT_EQ(c.identity.local_ca.key_passphrase_file, etc + "/ca.pass");
  EXPECT_EQ(c.trust.ca_bundle, etc + "/ca.crt");
  EXPECT_EQ(c.trust.crl, etc + "/crl/ca.crl");
}

TEST(ConfigLoadString, ResolvesRelativePathsAgainstBaseDir) {
  const config::Config c = config::load_string(kRelativePaths, "inline", "/srv/app");
  EXPECT_EQ(c.identity.file.cert, "/srv/app/certs/tls.crt");
  EXPECT_EQ(c.identity.file.key, "/abs/tls.key");
  EXPECT_EQ(c.trust.crl, "/srv/app/crl/ca.crl");
  EXPECT_EQ(c.identity.file.key_passphrase_env, "");  // a variable name, not a path
}

TEST(ConfigLoadString, LeavesPathsRelativeToTheWorkingDirectoryByDefault) {
  const config::Config c = config::load_string(kRelativePaths, "inline");
  EXPECT_EQ(c.identity.file.cert, "certs/tls.crt");
  EXPECT_EQ(c.trust.ca_bundle, "ca.crt");
}

// Problems found after loading (certs/, proxy/preflight) point at the line naming the file and
// show the path as the user wrote it, not as resolved.
TEST(ConfigLoadFile, PlacesLaterIssuesAtTheFieldNamingTheFileAsWritten) {
  const TempDir dir;
  const std::string file = dir.write("etc/sidecar.yaml", kRelativePaths);
  const config::Config c = config::load_file(file);
  const std::string etc = (dir.path() / "etc").string();
  EXPECT_EQ(config::issue_at(c, "identity.file.key", "x").to_string(),
            file + ":3:32: identity.file.key: x");
  // Not written: the nearest map holding it.
  EXPECT_EQ(config::issue_at(c, "identity.file.poll_interval", "x").to_string(),
            file + ":3:3: identity.file.poll_interval: x");
  EXPECT_EQ(config::as_written(c, etc + "/certs/tls.crt: cannot read"),
            "certs/tls.crt: cannot read");
  EXPECT_EQ(config::as_written(c, etc + "/ca/ca.key: bad"), "ca/ca.key: bad");
}

TEST(ConfigLoadFile, NamesTheFileAsGivenInMessages) {
  const TempDir dir;
  dir.write("bad.yaml", R"(workers: 1
identity:
  source: file
  file: { cert: a.crt, key: a.key }
  colour: blue
)");
  const std::string given = (dir.path() / "sub" / ".." / "bad.yaml").string();
  fs::create_directories(dir.path() / "sub");
  try {
    config::load_file(given);
    FAIL() << "loaded";
  } catch (const config::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              given + ":1:1: trust.ca_bundle: is required when source is file\n" + given +
                  ":1:1: no listeners; define at least one inbound or outbound listener\n" + given +
                  ":5:3: identity.colour: unknown key");
  }
}

TEST(ConfigLoadFile, ReportsAMissingFileWithoutAPosition) {
  const TempDir dir;
  const std::string missing = (dir.path() / "nope.yaml").string();
  try {
    config::load_file(missing);
    FAIL() << "loaded";
  } catch (const config::Error& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": cannot open: No such file or directory");
    ASSERT_EQ(e.issues().size(), 1u);
    EXPECT_EQ(e.issues()[0].line, 0);
  }
}

TEST(ConfigLoadFile, ReportsADirectoryGivenAsTheConfig) {
  const TempDir dir;
  try {
    config::load_file(dir.path().string());
    FAIL() << "loaded";
  } catch (const config::Error& e) {
    EXPECT_EQ(std::string(e.what()), dir.path().string() + ": is a directory, not a config file");
  }
}

TEST(ConfigExample, LoadsCleanlyAndUsesEverySection) {
  // The source tree's own file (__FILE__ may be relative to the build directory, e.g. with ccache).
  const fs::path example = fs::path(MTLS_SOURCE_DIR) / "config" / "example.yaml";
  const config::Config c = config::load_file(example.string());
  const std::string dir = example.parent_path().string();
  EXPECT_EQ(c.identity.source, config::IdentitySource::local_ca);
  EXPECT_EQ(c.identity.local_ca.dir, dir + "/ca/");
  EXPECT_EQ(c.identity.file.cert, dir + "/tls.crt");
  EXPECT_EQ(c.trust.ca_bundle, "");
  ASSERT_EQ(c.trust.domains.size(), 1u);
  EXPECT_EQ(c.trust.domains[0].ca_bundle, dir + "/partner-ca.pem");
  EXPECT_FALSE(c.inbound.empty());
  EXPECT_FALSE(c.outbound.empty());
  EXPECT_FALSE(c.inbound[0].allow.spiffe_ids.empty());
  EXPECT_FALSE(c.inbound[0].allow.trust_domains.empty());
  EXPECT_FALSE(c.inbound[0].allow.dns_names.empty());
  EXPECT_FALSE(c.inbound[0].allow.common_names.empty());
  EXPECT_EQ(c.outbound[0].server_name, "orders.default.svc");
  EXPECT_TRUE(c.outbound[0].verify_server_name);
  ASSERT_EQ(c.outbound.size(), 2u);
  EXPECT_TRUE(c.outbound[1].original_dst);
  EXPECT_FALSE(c.outbound[1].destinations.empty());
}

}  // namespace
