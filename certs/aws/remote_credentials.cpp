#include "certs/aws/remote_credentials.hpp"

#include <arpa/inet.h>

#include <boost/json.hpp>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <sstream>

#include "certs/aws/endpoints.hpp"

namespace mtls::certs::aws {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr auto kStsTimeout = 10s;
constexpr auto kContainerTimeout = 5s;
// The SDKs' default: off EC2 nothing answers, and the chain must not stall long on that.
constexpr auto kImdsTimeout = 1s;

std::string excerpt(const std::string& body) {
  return body.size() <= 300 ? body : body.substr(0, 300) + "...";
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim_right(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string xml_unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const std::size_t semi = s.find(';', i);
    if (semi == std::string::npos) {
      out += s[i];
      continue;
    }
    const std::string entity = s.substr(i + 1, semi - i - 1);
    if (entity == "amp")
      out += '&';
    else if (entity == "lt")
      out += '<';
    else if (entity == "gt")
      out += '>';
    else if (entity == "quot")
      out += '"';
    else if (entity == "apos")
      out += '\'';
    else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x';
      const long code = std::strtol(entity.c_str() + (hex ? 2 : 1), nullptr, hex ? 16 : 10);
      if (code <= 0 || code > 0x7f) {  // keys and tokens are ASCII; anything else is kept as is
        out += s.substr(i, semi - i + 1);
      } else {
        out += static_cast<char>(code);
      }
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

// The text of the first <tag>...</tag>; STS replies carry no attributes below the root.
std::optional<std::string> xml_text(const std::string& xml, const std::string& tag) {
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  const std::size_t begin = xml.find(open);
  if (begin == std::string::npos) return std::nullopt;
  const std::size_t end = xml.find(close, begin + open.size());
  if (end == std::string::npos) return std::nullopt;
  return xml_unescape(xml.substr(begin + open.size(), end - begin - open.size()));
}

std::chrono::system_clock::time_point expiration_of(const std::string& text,
                                                    const std::string& where) {
  auto t = parse_iso8601(text);
  if (!t) throw CredentialsError(where + ": malformed Expiration \"" + text + "\"");
  return *t;
}

// The JSON shape both the container endpoint and IMDS return.
Credentials from_json(const std::string& body, const std::string& where) {
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object())
    throw CredentialsError(where + ": reply is not a JSON object: " + excerpt(body));
  const json::object& o = doc.as_object();
  auto field = [&](const char* name) -> std::string {
    const json::value* v = o.if_contains(name);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  if (const std::string code = field("Code"); !code.empty() && code != "Success") {
    throw CredentialsError(where + ": Code " + code + ": " + field("Message"));
  }
  Credentials c{field("AccessKeyId"), field("SecretAccessKey"), field("Token"), std::nullopt,
                where};
  if (c.empty()) throw CredentialsError(where + ": reply has no AccessKeyId/SecretAccessKey");
  if (const std::string e = field("Expiration"); !e.empty()) c.expiration = expiration_of(e, where);
  return c;
}

HttpRequest request_to(const Url& url, std::string method, std::string path) {
  return {std::move(method), std::move(path), "", {{"Host", url.host_header()}}, ""};
}

bool is_allowed_container_host(const std::string& host) {
  // Plain HTTP may carry credentials only to the link-local agents or this host (SDK rule). An
  // address, not a prefix: "127.attacker.example" is a name anyone can point anywhere.
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    const std::uint32_t a = ntohl(v4.s_addr);
    return (a >> 24) == 127 || host == "169.254.170.2" || host == "169.254.170.23";
  }
  return host == "localhost" || host == "::1" || host == "fd00:ec2::23";
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_iso8601(const std::string& text) {
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  if (*rest == '.') {
    ++rest;
    while (*rest >= '0' && *rest <= '9') ++rest;
  }
  if (std::string(rest) != "Z" && std::string(rest) != "+00:00") return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::optional<Credentials> WebIdentityCredentials::load() {
  auto token_file = env_("AWS_WEB_IDENTITY_TOKEN_FILE");
  auto role_arn = env_("AWS_ROLE_ARN");
  if (!token_file && !role_arn) return std::nullopt;
  if (!token_file || !role_arn) {
    throw CredentialsError(
        std::string(token_file ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN") + " is set but " +
        (token_file ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE") + " is not");
  }
  // Read on every call: the kubelet rotates the projected token file.
  const auto token = read_file(*token_file);
  if (!token || trim_right(*token).empty()) {
    throw CredentialsError("AWS_WEB_IDENTITY_TOKEN_FILE " + *token_file + ": missing or empty");
  }
  const std::string region =
      resolve_region("", env_).value_or(ResolvedRegion{"us-east-1", ""}).region;
  const ResolvedEndpoint sts = resolve_endpoint(kSts, "", region, env_);
  const std::string session =
      env_("AWS_ROLE_SESSION_NAME").value_or("mtls-sidecar-" + std::to_string(std::time(nullptr)));

  // AssumeRoleWithWebIdentity is unsigned: the web identity token is the proof.
  HttpRequest request = request_to(sts.url, "POST", sts.url.path);
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  request.body = "Action=AssumeRoleWithWebIdentity&RoleArn=" + uri_encode(*role_arn) +
                 "&RoleSessionName=" + uri_encode(session) + "&Version=2011-06-15" +
                 "&WebIdentityToken=" + uri_encode(trim_right(*token));
  const std::string where = "STS AssumeRoleWithWebIdentity (" + *role_arn + ")";
  HttpResponse response;
  try {
    response = http_.send(sts.url, request, kStsTimeout);
  } catch (const HttpError& e) {
    throw CredentialsError(where + ": " + e.what());
  }
  if (response.status != 200) {
    throw CredentialsError(where + ": HTTP " + std::to_string(response.status) + " " +
                           xml_text(response.body, "Code").value_or("") + ": " +
                           xml_text(response.body, "Message").value_or(excerpt(response.body)));
  }
  Credentials c{xml_text(response.body, "AccessKeyId").value_or(""),
                xml_text(response.body, "SecretAccessKey").value_or(""),
                xml_text(response.body, "SessionToken").value_or(""), std::nullopt, where};
  if (c.empty())
    throw CredentialsError(where + ": reply has no Credentials: " + excerpt(response.body));
  c.expiration = expiration_of(xml_text(response.body, "Expiration").value_or(""), where);
  return c;
}

std::optional<Credentials> ContainerCredentials::load() {
  Url url;
  if (auto relative = env_("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    if (relative->front() != '/')
      throw CredentialsError("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with /");
    url = parse_url("http://169.254.170.2" + *relative);
  } else if (auto full = env_("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    try {
      url = parse_url(*full);
    } catch (const std::invalid_argument& e) {
      throw CredentialsError(std::string("AWS_CONTAINER_CREDENTIALS_FULL_URI: ") + e.what());
    }
    if (url.scheme != "https" && !is_allowed_container_host(url.host)) {
      throw CredentialsError("AWS_CONTAINER_CREDENTIALS_FULL_URI " + *full +
                             ": plain http is allowed only to a loopback address, 169.254.170.2 "
                             "or 169.254.170.23");
    }
  } else {
    return std::nullopt;
  }

  std::optional<std::string> token;
  if (auto file = env_("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    // Read on every call: EKS Pod Identity rotates the token file.
    token = read_file(*file);
    if (!token)
      throw CredentialsError("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file + ": cannot read");
    token = trim_right(*token);
  } else {
    token = env_("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  HttpRequest request = request_to(url, "GET", url.path);
  if (token) {
    if (token->find_first_of("\r\n") != std::string::npos) {
      throw CredentialsError("the container authorization token holds a line break");
    }
    request.headers.emplace_back("Authorization", *token);
  }
  const std::string where =
      "container endpoint " + url.scheme + "://" + url.host_header() + url.path;
  HttpResponse response;
  try {
    response = http_.send(url, request, kContainerTimeout);
  } catch (const HttpError& e) {
    throw CredentialsError(where + ": " + e.what());
  }
  if (response.status != 200) {
    throw CredentialsError(where + ": HTTP " + std::to_string(response.status) + ": " +
                           excerpt(response.body));
  }
  return from_json(response.body, where);
}

std::optional<Credentials> ImdsCredentials::load() {
  if (env_("AWS_EC2_METADATA_DISABLED").value_or("") == "true") return std::nullopt;
  std::string base = "http://169.254.169.254";
  if (auto endpoint = env_("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    base = *endpoint;
  } else if (env_("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE").value_or("") == "IPv6") {
    base = "http://[fd00:ec2::254]";
  }
  Url url;
  try {
    url = parse_url(base);
  } catch (const std::invalid_argument& e) {
    throw CredentialsError(std::string("AWS_EC2_METADATA_SERVICE_ENDPOINT: ") + e.what());
  }
  const std::string prefix = url.path == "/" ? "" : url.path;

  HttpRequest put = request_to(url, "PUT", prefix + "/latest/api/token");
  put.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
  HttpResponse token;
  try {
    token = http_.send(url, put, kImdsTimeout);
  } catch (const HttpError&) {
    return std::nullopt;  // nothing answers: not on EC2
  }
  const std::string where = "IMDSv2 " + url.host_header();
  if (token.status != 200 || token.body.empty()) {
    throw CredentialsError(where + ": token request: HTTP " + std::to_string(token.status));
  }
  auto get = [&](const std::string& path) {
    HttpRequest request = request_to(url, "GET", prefix + path);
    request.headers.emplace_back("X-aws-ec2-metadata-token", token.body);
    try {
      return http_.send(url, request, kImdsTimeout);
    } catch (const HttpError& e) {
      throw CredentialsError(where + ": " + e.what());
    }
  };
  const HttpResponse roles = get("/latest/meta-data/iam/security-credentials/");
  if (roles.status == 404) return std::nullopt;  // the instance has no role
  if (roles.status != 200) {
    throw CredentialsError(where + ": role name: HTTP " + std::to_string(roles.status));
  }
  const std::string role = trim_right(roles.body.substr(0, roles.body.find('\n')));
  if (role.empty()) return std::nullopt;
  const HttpResponse creds = get("/latest/meta-data/iam/security-credentials/" + role);
  if (creds.status != 200) {
    throw CredentialsError(where + ": role " + role + ": HTTP " + std::to_string(creds.status));
  }
  return from_json(creds.body, where + " role " + role);
}

CredentialChain default_credential_chain(const Environment& env, HttpClient& http) {
  std::vector<std::unique_ptr<CredentialsProvider>> links;
  links.push_back(std::make_unique<EnvironmentCredentials>(env));
  links.push_back(std::make_unique<ProfileCredentials>(env));
  links.push_back(std::make_unique<WebIdentityCredentials>(env, http));
  links.push_back(std::make_unique<ContainerCredentials>(env, http));
  links.push_back(std::make_unique<ImdsCredentials>(env, http));
  return CredentialChain(std::move(links));
}

}  // namespace mtls::certs::aws
