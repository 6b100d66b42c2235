#pragma once
// Decoding of OpenAI request bodies (POST /v1/chat/completions and /v1/completions) into a
// plain CompletionRequest, and its connswap.v1.GenerateRequest. Sans-IO; never throws.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "connswap/v1/director.pb.h"
#include "openai/api_error.h"

namespace connswap::openai {

// Which OpenAI API a request came in on.
enum class Endpoint : std::uint8_t {
  kChat,         // POST /v1/chat/completions
  kCompletions,  // POST /v1/completions
};

// "chat" or "completions" (the value of params["connswap_endpoint"]).
std::string_view to_string(Endpoint endpoint);

// Bounds applied while decoding. Bodies over the HTTP layer's size limit never get here.
struct DecodeLimits {
  std::uint32_t max_tokens = 1u << 20;     // larger max_tokens: 400 invalid_value
  std::uint32_t default_max_tokens = 256;  // used when neither max_tokens field is given
  std::size_t max_depth = 64;              // deeper nesting of [ and {: 400 before parsing
  std::size_t max_body_bytes = 1u << 20;   // larger body: 413 (defence in depth)
};

// One chat message, flattened: its content parts' texts concatenated.
struct ChatMessage {
  std::string role;  // system | developer | user | assistant | tool
  std::string text;
};

// A validated request. Only the fields connswap acts on are typed; sampling parameters are
// carried as compact JSON texts so that a worker can rebuild the JSON exactly.
struct CompletionRequest {
  Endpoint endpoint = Endpoint::kChat;
  std::string model;  // empty: any model
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  std::uint32_t max_tokens = 0;
  // Completions: the prompt string. Chat: the `messages` array as canonical compact JSON
  // (keys sorted), as the worker receives it.
  std::string prompt;
  std::vector<ChatMessage> messages;          // chat only, in order
  std::map<std::string, std::string> params;  // pass-through name -> compact JSON
  std::vector<std::string> ignored_keys;      // unknown top-level keys (for a log line)

  // The connswap request: prompt, max_tokens and params, plus params["connswap_endpoint"]
  // = to_string(endpoint) so the worker knows what the prompt holds.
  v1::GenerateRequest to_generate_request() const;
};

// Decodes and validates a request body. Errors are 400 invalid_request_error with `param`
// naming the parameter ("invalid_json", "invalid_type", "invalid_value",
// "missing_required_parameter", "unsupported_parameter", "unsupported_value"), or 413
// "request_too_large" over limits.max_body_bytes. Unknown top-level keys are ignored and
// listed in ignored_keys; null counts as absent for every optional parameter.
Expected<CompletionRequest, ApiError> decode_request(Endpoint endpoint,
                                                     std::string_view body,
                                                     const DecodeLimits& limits);

// The sampling parameters copied into CompletionRequest::params (sorted, for docs/tests).
const std::vector<std::string_view>& pass_through_parameters();

}  // namespace connswap::openai
