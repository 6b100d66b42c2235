#pragma once
// Private to src/openai: the steps of decode_request, each validating one group of fields of
// the parsed body. json_fwd.hpp only, so the full nlohmann header stays in the .cc files.

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "base/expected.h"
#include "openai/api_error.h"
#include "openai/request.h"

namespace connswap::openai::detail {

using Json = nlohmann::json;
using Status = Expected<void, ApiError>;

// The value of `key` in the object `body`, or nullptr when absent or null (null means "use
// the default", as for OpenAI).
const Json* present(const Json& body, std::string_view key);

// 400 invalid_type: "Invalid type for '<param>': expected <expected>, but got <actual>."
ApiError type_error(std::string param, std::string_view expected, const Json& actual);

// 400 with `code` for `param` and `message`.
ApiError value_error(std::string param, std::string_view code, std::string message);

// model, stream, stream_options (the latter only with stream = true).
Status decode_stream_fields(const Json& body, CompletionRequest& out);

// max_tokens / max_completion_tokens (the latter wins when both are given).
Status decode_max_tokens(const Json& body, const DecodeLimits& limits, CompletionRequest& out);

// 400 naming the first parameter whose value connswap cannot honour (n != 1, tools, ...).
Status check_unsupported(const Json& body);

// Copies the pass-through sampling parameters (type-checked) into out.params.
Status copy_pass_through(const Json& body, CompletionRequest& out);

// True for every top-level key decode_request understands on `endpoint`.
bool is_known_key(std::string_view key, Endpoint endpoint);

// chat: `messages` into out.prompt (canonical JSON) and out.messages.
Status decode_messages(const Json& body, CompletionRequest& out);

// completions: `prompt` (a string or an array of exactly one string) into out.prompt.
Status decode_prompt(const Json& body, CompletionRequest& out);

}  // namespace connswap::openai::detail
