#include "front/responses.h"

#include <vector>

#include <fmt/format.h>

#include "http/response.h"

namespace connswap::front {
namespace {

std::vector<http::Header> headers(std::string_view content_type, bool keep_alive) {
  return {{"Content-Type", std::string(content_type)},
          {"Connection", keep_alive ? "keep-alive" : "close"}};
}

}  // namespace

std::string json_response(int status, std::string_view body, bool keep_alive) {
  return http::response(status, headers("application/json", keep_alive), body);
}

std::string error_response(const openai::ApiError& error, bool keep_alive) {
  auto h = headers("application/json", keep_alive);
  if (error.http_status == 503) {
    h.push_back({"Retry-After", "1"});
  }
  return http::response(error.http_status, h, openai::encode_error(error));
}

std::string unavailable_response(std::string_view message, bool keep_alive) {
  return error_response(
      openai::ApiError{503, "server_error", "unavailable", "", std::string(message)}, keep_alive);
}

std::string method_not_allowed(std::string_view allow, bool keep_alive) {
  auto h = headers("application/json", keep_alive);
  h.push_back({"Allow", std::string(allow)});
  return http::response(405,
                        h,
                        openai::encode_error(openai::ApiError{
                            405,
                            "invalid_request_error",
                            "method_not_allowed",
                            "",
                            fmt::format("method not allowed here (allowed: {})", allow)}));
}

std::string sse_head(bool keep_alive, bool http10) {
  auto h = headers("text/event-stream", keep_alive);
  h.push_back({"Cache-Control", "no-cache"});
  h.push_back({"X-Accel-Buffering", "no"});  // proxies in front must not buffer the events
  return http::response_head(200, h, http10 ? http::Framing::kClose : http::Framing::kChunked);
}

openai::ApiError api_error_of(const rpc::Status& status) {
  using rpc::StatusCode;
  switch (status.code) {
    case StatusCode::kUnavailable:
      return {503, "server_error", "unavailable", "", status.message};
    case StatusCode::kInvalidArgument:
      return {400, "invalid_request_error", "invalid_request", "", status.message};
    case StatusCode::kResourceExhausted:
      return {429, "rate_limit_error", "resource_exhausted", "", status.message};
    case StatusCode::kDeadlineExceeded:
      return {504, "server_error", "timeout", "", status.message};
    case StatusCode::kUnauthenticated:  // a resume ticket (Last-Event-ID) that does not verify
      return {401, "authentication_error", "unauthenticated", "", status.message};
    case StatusCode::kFailedPrecondition:  // expired or replayed ticket, no cluster key
      return {409, "invalid_request_error", "failed_precondition", "", status.message};
    default:
      return {500, "server_error", "internal_error", "", status.to_string()};
  }
}

}  // namespace connswap::front
