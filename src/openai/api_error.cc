#include "openai/api_error.h"

#include <utility>

#include "openai/detail/json_text.h"

namespace connswap::openai {

namespace {

// JSON string or null when empty.
std::string string_or_null(const std::string& s) {
  return s.empty() ? std::string("null") : detail::json_string(s);
}

}  // namespace

std::string encode_error(const ApiError& error) {
  std::string out = R"({"error":{"message":)";
  out += detail::json_string(error.message);
  out += R"(,"type":)";
  out += detail::json_string(error.type);
  out += R"(,"param":)";
  out += string_or_null(error.param);
  out += R"(,"code":)";
  out += string_or_null(error.code);
  out += "}}";
  return out;
}

ApiError invalid_request(std::string param, std::string code, std::string message) {
  return ApiError{.http_status = 400,
                  .type = "invalid_request_error",
                  .code = std::move(code),
                  .param = std::move(param),
                  .message = std::move(message)};
}

}  // namespace connswap::openai
