#pragma once
// Encoding of OpenAI responses: stream chunks (chat.completion.chunk / text_completion), the
// non-stream bodies, and GET /v1/models. Each function returns the JSON text only; the SSE
// layer adds `data: ` and the blank line. Sans-IO; never throws.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "openai/request.h"

namespace connswap::openai {

// Why a completion ended, as OpenAI spells it.
enum class FinishReason : std::uint8_t {
  kStop,    // "stop": the model (worker) ended the text
  kLength,  // "length": max_tokens reached
};

// "stop" or "length".
std::string_view to_string(FinishReason reason);

// Maps the director's Done.finish_reason: "done" (max_tokens reached) and "length" give
// kLength; anything else (a worker's "stop", ...) gives kStop.
FinishReason finish_reason_from_director(std::string_view reason);

// "chatcmpl-" or "cmpl-": the prefix of a response id for `endpoint`.
std::string_view id_prefix(Endpoint endpoint);

// What stays the same on every chunk of one response.
struct StreamContext {
  Endpoint endpoint = Endpoint::kChat;
  std::string id{};            // "chatcmpl-..." / "cmpl-...", the same on every chunk
  std::int64_t created = 0;    // Unix seconds
  std::string model{};         // echoed in every chunk
  bool include_usage = false;  // stream chunks carry "usage":null, then a usage chunk
};

// Token counts of one response; total_tokens = prompt + completion.
struct Usage {
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
};

// Renders the chunks of one stream. The fixed parts are rendered once, so a token chunk
// costs one JSON string escape. Text that is not valid UTF-8 has its bad bytes replaced by
// U+FFFD (see Utf8Joiner for tokens that split a character).
class ChunkEncoder {
 public:
  explicit ChunkEncoder(StreamContext context);

  // Chat: the first chunk, delta {"role":"assistant","content":""}. Completions: nullopt
  // (the legacy API sends no opening chunk).
  std::optional<std::string> opening() const;
  // One piece of text: chat delta {"content": text}, completions {"text": text}.
  std::string token(std::string_view text) const;
  // The last choice chunk: empty delta (chat) or empty text, with finish_reason set.
  std::string finish(FinishReason reason) const;
  // The usage chunk: "choices":[] and usage. Send it (only when include_usage) after
  // finish() and before [DONE].
  std::string usage(const Usage& usage) const;

  const StreamContext& context() const { return context_; }

 private:
  std::string choice_chunk(std::string_view choice_body) const;

  StreamContext context_;
  std::string head_;  // {"id":..,"object":..,"created":..,"model":..,"choices":[
  std::string tail_;  // ]} or ],"usage":null}
};

// The non-stream body: "chat.completion" with choices[0].message {role, content}, or
// "text_completion" with choices[0].text; finish_reason and usage always present.
std::string encode_completion(const StreamContext& context,
                              std::string_view text,
                              FinishReason reason,
                              const Usage& usage);

// GET /v1/models: {"object":"list","data":[{"id","object":"model","created","owned_by"}]},
// owned_by "connswap", in the given order.
std::string encode_models(std::span<const std::string> models, std::int64_t created);

// Holds back the incomplete UTF-8 sequence at the end of a token so that a character split
// across tokens reaches the client whole. One per stream.
class Utf8Joiner {
 public:
  // The longest valid-looking prefix of pending + text; the rest (at most 3 bytes) waits.
  std::string push(std::string_view text);
  // Whatever is still held back (call at the end of the stream; may be invalid UTF-8).
  std::string flush();
  // True while bytes of a split character are held back.
  bool holding() const { return !pending_.empty(); }

 private:
  std::string pending_;
};

}  // namespace connswap::openai
