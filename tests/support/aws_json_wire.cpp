#include "tests/support/aws_json_wire.hpp"

#include <boost/json.hpp>

#include "tests/support/sigv4_vectors.hpp"
#include "tests/support/sigv4_verifier.hpp"

namespace mtls::test {

using certs::aws::HttpRequest;
using certs::aws::HttpResponse;

HttpResponse aws_json_error(unsigned status, const std::string& type, const std::string& message) {
  boost::json::object body;
  body["__type"] = type;
  body["message"] = message;
  return {status,
          {{"Content-Type", "application/x-amz-json-1.1"},
           {"x-amzn-RequestId", "00000000-0000-0000-0000-000000000000"}},
          boost::json::serialize(body)};
}

std::variant<JsonCallTarget, HttpResponse> read_json_call(const HttpRequest& request,
                                                          const JsonWireExpectation& expected) {
  const std::string target = header_value(request, "X-Amz-Target");
  const std::size_t dot = target.find('.');
  const auto service = expected.services.find(target.substr(0, dot));
  if (request.method != "POST" || request.path != "/" || dot == std::string::npos ||
      service == expected.services.end())
    return aws_json_error(400, "UnknownOperationException",
                          "unknown X-Amz-Target \"" + target + "\"");
  if (!header_value(request, "Content-Type").starts_with("application/x-amz-json-1.1"))
    return aws_json_error(400, "SerializationException", "expected application/x-amz-json-1.1");
  const std::string problem =
      sigv4_problem(request, {expected.secrets, expected.region, service->second});
  if (!problem.empty())
    return aws_json_error(400, "InvalidSignatureException",
                          "The request signature we calculated does not match the signature you "
                          "provided. (" +
                              problem + ")");
  return JsonCallTarget{service->first, target.substr(dot + 1), service->second};
}

void ScriptedFailures::add(std::string operation, int times, unsigned status, std::string type,
                           std::string message) {
  failures_.push_back({std::move(operation), times, status, std::move(type), std::move(message)});
}

std::optional<HttpResponse> ScriptedFailures::next(const std::string& operation) {
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if (!it->operation.empty() && it->operation != operation) continue;
    HttpResponse answer = aws_json_error(it->status, it->type, it->message);
    if (it->times > 0 && --it->times == 0) failures_.erase(it);
    return answer;
  }
  return std::nullopt;
}

}  // namespace mtls::test
