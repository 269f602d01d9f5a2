// The local links of the AWS credential chain (environment, shared credentials and config files),
// the chain's order and error rules, and the cache that refreshes temporary credentials early.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "certs/aws/credentials.hpp"
#include "certs/aws/shared_config.hpp"

namespace mtls::certs::aws {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class AwsFiles : public ::testing::Test {
 protected:
  AwsFiles() {
    char tmpl[] = "/tmp/mtls-aws-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::filesystem::create_directories(dir_ + "/home/.aws");
  }
  ~AwsFiles() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& relative, const std::string& text) {
    std::ofstream(dir_ + "/" + relative) << text;
  }
  // HOME points into the temp dir, so ~/.aws/{credentials,config} are ours.
  Environment env(std::map<std::string, std::string> values = {}) {
    values.emplace("HOME", dir_ + "/home");
    return fixed_environment(std::move(values));
  }
  std::optional<Credentials> from_profile(std::map<std::string, std::string> values = {}) {
    return ProfileCredentials(env(std::move(values))).load();
  }
  std::string error_of(std::function<void()> body) {
    try {
      body();
    } catch (const CredentialsError& e) {
      return e.what();
    }
    return "";
  }

  std::string dir_;
};

TEST_F(AwsFiles, EnvironmentKeysWithSessionToken) {
  auto c = EnvironmentCredentials(env({{"AWS_ACCESS_KEY_ID", "AKID"},
                                       {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                                       {"AWS_SESSION_TOKEN", "TOKEN"}}))
               .load();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->secret_access_key, "SECRET");
  EXPECT_EQ(c->session_token, "TOKEN");
  EXPECT_EQ(c->source, "environment");
  EXPECT_FALSE(c->expiration);
}

TEST_F(AwsFiles, EnvironmentWithoutKeysIsNotConfiguredButHalfAKeyIsAnError) {
  EXPECT_FALSE(EnvironmentCredentials(env({{"AWS_ACCESS_KEY_ID", ""}})).load());
  EXPECT_EQ(error_of([&] {
              EnvironmentCredentials(env({{"AWS_ACCESS_KEY_ID", "AKID"}})).load();
            }),
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

TEST_F(AwsFiles, ProcessEnvironmentTreatsEmptyAsUnset) {
  ::setenv("MTLS_AWS_TEST_EMPTY", "", 1);
  ::setenv("MTLS_AWS_TEST_SET", "v", 1);
  const Environment env = process_environment();
  EXPECT_FALSE(env("MTLS_AWS_TEST_EMPTY"));
  EXPECT_EQ(env("MTLS_AWS_TEST_SET"), "v");
  ::unsetenv("MTLS_AWS_TEST_EMPTY");
  ::unsetenv("MTLS_AWS_TEST_SET");
}

TEST_F(AwsFiles, DefaultProfileFromTheCredentialsFile) {
  write("home/.aws/credentials",
        "# comment\r\n; another\r\n[other]\r\naws_access_key_id = NO\r\naws_secret_access_key = "
        "NO\r\n"
        "[default]\r\n  AWS_Access_Key_ID=AKID  \r\naws_secret_access_key = SE=CRET\r\n"
        "aws_session_token = TOKEN\r\n");
  auto c = from_profile();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->secret_access_key, "SE=CRET");
  EXPECT_EQ(c->session_token, "TOKEN");
  EXPECT_THAT(c->source, HasSubstr("profile default ("));
}

TEST_F(AwsFiles, NamedProfileFromTheConfigFileWithItsPrefix) {
  write("config",
        "[profile   dev]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 10\n"
        "aws_access_key_id = DEVKEY\naws_secret_access_key = DEVSECRET\n[dev]\n"
        "aws_access_key_id = WRONG\naws_secret_access_key = WRONG\n");
  auto c = from_profile({{"AWS_PROFILE", "dev"}, {"AWS_CONFIG_FILE", dir_ + "/config"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "DEVKEY");
  EXPECT_EQ(c->secret_access_key, "DEVSECRET");
  EXPECT_EQ(c->session_token, "");
}

TEST_F(AwsFiles, CredentialsFileWinsOverConfigFile) {
  write("creds", "[dev]\naws_access_key_id = FROMCREDS\naws_secret_access_key = S1\n");
  write("home/.aws/config",
        "[profile dev]\naws_access_key_id = FROMCONFIG\naws_secret_access_key = S2\n");
  auto c = from_profile({{"AWS_PROFILE", "dev"}, {"AWS_SHARED_CREDENTIALS_FILE", "~/../creds"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "FROMCREDS");
}

TEST_F(AwsFiles, ConfigFileDefaultMayBeWrittenWithoutPrefix) {
  write("home/.aws/config", "[default]\naws_access_key_id = A\naws_secret_access_key = B\n");
  auto c = from_profile();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "A");
}

TEST_F(AwsFiles, MissingFilesOrDefaultProfileMoveOn) {
  EXPECT_FALSE(from_profile());
  write("home/.aws/credentials", "[other]\naws_access_key_id = A\naws_secret_access_key = B\n");
  EXPECT_FALSE(from_profile());
  // Settings only (no keys): the next links provide the credentials.
  write("home/.aws/config", "[default]\nregion = us-east-1\n");
  EXPECT_FALSE(from_profile());
}

TEST_F(AwsFiles, NamedProfileThatDoesNotExistIsAnError) {
  EXPECT_THAT(error_of([&] {
                from_profile({{"AWS_PROFILE", "prod"}});
              }),
              HasSubstr("AWS_PROFILE=prod: no such profile in " + dir_ + "/home/.aws/credentials"));
}

TEST_F(AwsFiles, HalfAKeyOrAnUnsupportedProfileIsAnError) {
  write("home/.aws/credentials", "[default]\naws_access_key_id = A\n");
  EXPECT_THAT(error_of([&] { from_profile(); }),
              HasSubstr("has aws_access_key_id but not aws_secret_access_key"));
  write("home/.aws/credentials", "");
  write("home/.aws/config",
        "[profile x]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n");
  EXPECT_THAT(error_of([&] {
                from_profile({{"AWS_PROFILE", "x"}});
              }),
              HasSubstr("profile x uses role_arn, which mtls-sidecar does not support"));
}

TEST_F(AwsFiles, MalformedFileNamesFileAndLine) {
  write("home/.aws/credentials", "[default]\naws_access_key_id = A\nnot a key\n");
  EXPECT_EQ(error_of([&] { from_profile(); }),
            dir_ + "/home/.aws/credentials:3: expected key = value");
  write("home/.aws/credentials", "key = outside\n");
  EXPECT_THAT(error_of([&] { from_profile(); }),
              HasSubstr("credentials:1: key outside a [section]"));
}

// A link that counts its calls and returns what the test says.
class FakeLink : public CredentialsProvider {
 public:
  explicit FakeLink(std::function<std::optional<Credentials>()> body) : body_(std::move(body)) {}
  std::optional<Credentials> load() override {
    ++calls;
    return body_();
  }
  std::string name() const override { return "fake"; }
  int calls = 0;

 private:
  std::function<std::optional<Credentials>()> body_;
};

CredentialChain chain_of(Environment env, std::unique_ptr<CredentialsProvider> last = nullptr) {
  std::vector<std::unique_ptr<CredentialsProvider>> links;
  links.push_back(std::make_unique<EnvironmentCredentials>(env));
  links.push_back(std::make_unique<ProfileCredentials>(env));
  if (last) links.push_back(std::move(last));
  return CredentialChain(std::move(links));
}

TEST_F(AwsFiles, ChainTakesTheEnvironmentBeforeTheFiles) {
  write("home/.aws/credentials",
        "[default]\naws_access_key_id = FILE\naws_secret_access_key = B\n");
  EXPECT_EQ(chain_of(env({{"AWS_ACCESS_KEY_ID", "ENV"}, {"AWS_SECRET_ACCESS_KEY", "S"}}))
                .resolve()
                .access_key_id,
            "ENV");
  EXPECT_EQ(chain_of(env()).resolve().access_key_id, "FILE");
}

TEST_F(AwsFiles, ChainStopsAtABrokenLinkAndNamesTheLinksItTried) {
  auto fallback = std::make_unique<FakeLink>([] { return Credentials{"LATER", "S"}; });
  FakeLink* later = fallback.get();
  auto broken = chain_of(env({{"AWS_SECRET_ACCESS_KEY", "S"}}), std::move(fallback));
  EXPECT_THAT(error_of([&] { broken.resolve(); }),
              HasSubstr("AWS credentials from environment: AWS_SECRET_ACCESS_KEY is set"));
  EXPECT_EQ(later->calls, 0);
  EXPECT_EQ(error_of([&] { chain_of(env()).resolve(); }),
            "no AWS credentials found (tried environment, shared files)");
}

TEST(CachedCredentials, RefreshesTemporaryCredentialsBeforeTheyExpire) {
  const auto t0 = std::chrono::system_clock::now();
  int serial = 0;
  bool fail = false;
  auto link = std::make_unique<FakeLink>([&]() -> std::optional<Credentials> {
    if (fail) throw CredentialsError("STS is down");
    ++serial;
    return Credentials{"AKID" + std::to_string(serial), "S", "T", t0 + 1h * serial};
  });
  FakeLink* counter = link.get();
  std::vector<std::unique_ptr<CredentialsProvider>> links;
  links.push_back(std::move(link));
  CachedCredentials cache(CredentialChain(std::move(links)), 5min);

  EXPECT_EQ(cache.get(t0).access_key_id, "AKID1");
  EXPECT_EQ(cache.get(t0 + 54min).access_key_id, "AKID1");
  EXPECT_EQ(counter->calls, 1);
  EXPECT_EQ(cache.get(t0 + 55min).access_key_id, "AKID2");  // inside the 5-minute window
  // A failed early refresh keeps serving what is still valid; past expiry it is an error.
  fail = true;
  EXPECT_EQ(cache.get(t0 + 1h + 56min).access_key_id, "AKID2");
  EXPECT_THROW(cache.get(t0 + 2h), CredentialsError);
  fail = false;
  cache.invalidate();
  EXPECT_EQ(cache.get(t0).access_key_id, "AKID3");
}

}  // namespace
}  // namespace mtls::certs::aws
