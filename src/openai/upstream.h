#pragma once
// The worker's side of an OpenAI-compatible model server (vLLM, llama.cpp, SGLang, TGI):
// the streaming request body it sends (a continuation when a stream moved to it mid-answer)
// and the decoding of the server's SSE chunks and error bodies. Sans-IO; never throws.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "openai/request.h"

namespace connswap::openai {

// One streaming request to the model server.
struct UpstreamRequest {
  Endpoint endpoint = Endpoint::kCompletions;  // which server API to call
  std::string model;                           // "model"; empty: the field is left out
  // Completions: the prompt text. Chat: the `messages` JSON array (compact), as the HTTP
  // front forwards it (CompletionRequest::prompt); any other text (an empty array too) is
  // sent as one user message.
  std::string prompt;
  // The answer delivered so far (the text of tokens 1..start_seq-1) that the server must
  // continue. Completions: appended to the prompt. Chat: a final assistant message with
  // "continue_final_message": true and "add_generation_prompt": false (vLLM's fields).
  std::string continuation;
  std::uint32_t max_tokens = 0;  // tokens still wanted; 0: the field is left out
  // name -> value of the client's parameters (GenerateRequest.params). A value that parses
  // as JSON is sent as that JSON, any other as a JSON string. Names starting "connswap_"
  // and the fields this module sets (model, prompt, messages, max_tokens,
  // max_completion_tokens, stream, stream_options, n; on a chat continuation also
  // add_generation_prompt and continue_final_message) are not sent.
  std::map<std::string, std::string> params;
  // The operator's defaults (connswap-worker --backend-param), same form; params win.
  std::map<std::string, std::string> defaults;
};

// "/completions" or "/chat/completions", appended to the server's base URL (".../v1").
std::string_view upstream_path(Endpoint endpoint);

// The JSON body: the fields above plus "stream": true and
// "stream_options": {"include_usage": true}. Compact, keys in a stable order: model,
// prompt|messages, max_tokens, the parameters by name, stream, stream_options, then a chat
// continuation's two fields.
std::string upstream_body(const UpstreamRequest& request);

struct UpstreamUsage {
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
};

// One decoded `data:` payload of the server's stream.
struct UpstreamChunk {
  std::string text;  // choices[0].text (completions) or choices[0].delta.content (chat)
  std::optional<std::string> finish_reason;  // set (non-null) on a choice's last chunk
  std::optional<UpstreamUsage> usage;        // the usage object, when the chunk has one
};

enum class ChunkErrc : std::uint8_t {
  kNotJson,      // not valid JSON (or invalid UTF-8)
  kBadShape,     // JSON, but not a completion chunk (wrong types, no choices and no usage)
  kServerError,  // {"error": ...}: the server reports a failure inside the stream
};

struct ChunkError {
  ChunkErrc code = ChunkErrc::kNotJson;
  std::string message;  // for logs: what was wrong, or the server's error message
};

// Decodes one event's data (not "[DONE]"; the caller checks that first).
Expected<UpstreamChunk, ChunkError> decode_upstream_chunk(Endpoint endpoint, std::string_view data);

// The message of a non-2xx response body for logs: error.message, error (a string),
// detail, message (vLLM's older errors), or else the body's first 200 bytes; control
// characters replaced, at most 259 bytes.
std::string upstream_error_message(std::string_view body);

}  // namespace connswap::openai
