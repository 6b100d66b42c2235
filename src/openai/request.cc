#include "openai/request.h"

#include <utility>

#include <nlohmann/json.hpp>

#include "openai/detail/decode.h"

namespace connswap::openai {

namespace {

using detail::Json;

// Deepest nesting of arrays and objects in `body`, stopping early past `limit`. The scan
// follows strings and escapes, so it is exact for valid JSON; invalid JSON fails to parse
// anyway. nlohmann parses iteratively, but dump(), copies and comparisons recurse, so a
// value nested 100,000 deep must never be built.
std::size_t nesting_depth(std::string_view body, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) {
        break;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// Parses `body` into a JSON object, or the 4xx to answer.
Expected<Json, ApiError> parse_object(std::string_view body, const DecodeLimits& limits) {
  if (body.size() > limits.max_body_bytes) {
    return Unexpected(ApiError{.http_status = 413,
                               .type = "invalid_request_error",
                               .code = "request_too_large",
                               .param = "",
                               .message = "The request body is larger than " +
                                          std::to_string(limits.max_body_bytes) + " bytes."});
  }
  if (nesting_depth(body, limits.max_depth) > limits.max_depth) {
    return Unexpected(invalid_request("",
                                      "invalid_json",
                                      "The request body nests arrays and objects deeper than " +
                                          std::to_string(limits.max_depth) + " levels."));
  }
  // allow_exceptions = false: a syntax error (including invalid UTF-8 inside a string,
  // which nlohmann's lexer rejects) yields a discarded value instead of a throw.
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return Unexpected(invalid_request(
        "", "invalid_json", "The request body is not valid JSON (or not valid UTF-8)."));
  }
  if (!json.is_object()) {
    return Unexpected(invalid_request(
        "",
        "invalid_type",
        "The request body must be a JSON object, not " + std::string(json.type_name()) + "."));
  }
  return json;
}

// Steps shared by both endpoints, in the order their errors are reported.
detail::Status decode_common(const Json& body, const DecodeLimits& limits, CompletionRequest& out) {
  if (auto r = detail::check_unsupported(body); !r) {
    return r;
  }
  if (auto r = detail::decode_stream_fields(body, out); !r) {
    return r;
  }
  if (auto r = detail::decode_max_tokens(body, limits, out); !r) {
    return r;
  }
  return detail::copy_pass_through(body, out);
}

}  // namespace

std::string_view to_string(Endpoint endpoint) {
  return endpoint == Endpoint::kChat ? "chat" : "completions";
}

v1::GenerateRequest CompletionRequest::to_generate_request() const {
  v1::GenerateRequest request;
  request.set_prompt(prompt);
  request.set_max_tokens(max_tokens);
  auto& out = *request.mutable_params();
  for (const auto& [name, value] : params) {
    out[name] = value;
  }
  out["connswap_endpoint"] = std::string(to_string(endpoint));
  return request;
}

Expected<CompletionRequest, ApiError> decode_request(Endpoint endpoint,
                                                     std::string_view body,
                                                     const DecodeLimits& limits) {
  auto json = parse_object(body, limits);
  if (!json) {
    return Unexpected(std::move(json).error());
  }
  CompletionRequest out;
  out.endpoint = endpoint;
  auto input = endpoint == Endpoint::kChat ? detail::decode_messages(*json, out)
                                           : detail::decode_prompt(*json, out);
  if (!input) {
    return Unexpected(std::move(input).error());
  }
  if (auto r = decode_common(*json, limits, out); !r) {
    return Unexpected(std::move(r).error());
  }
  for (auto it = json->cbegin(); it != json->cend(); ++it) {
    if (!detail::is_known_key(it.key(), endpoint)) {
      out.ignored_keys.push_back(it.key());
    }
  }
  return out;
}

}  // namespace connswap::openai
