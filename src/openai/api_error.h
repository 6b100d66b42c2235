#pragma once
// The OpenAI error object: what a 4xx/5xx body (and an error event inside a stream) says.

#include <string>

namespace connswap::openai {

// One error as OpenAI reports it. `param` and `code` may be empty (encoded as null).
// `http_status` is for the HTTP layer only; it is not part of the JSON.
struct ApiError {
  int http_status = 400;
  std::string type = "invalid_request_error";  // or "server_error", "rate_limit_error", ...
  std::string code{};                          // e.g. "invalid_type", "invalid_value"
  std::string param{};                         // the offending parameter, e.g. "max_tokens"
  std::string message{};                       // human readable, names the parameter
};

// `{"error":{"message":...,"type":...,"param":...|null,"code":...|null}}`, compact JSON in
// OpenAI's field order. Invalid UTF-8 in the strings is replaced by U+FFFD; never throws.
std::string encode_error(const ApiError& error);

// A 400 invalid_request_error for `param` with `code` and `message`.
ApiError invalid_request(std::string param, std::string code, std::string message);

}  // namespace connswap::openai
