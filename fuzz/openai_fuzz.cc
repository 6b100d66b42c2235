// libFuzzer target for src/openai: untrusted request bodies and the encoders fed by them.
//
// Input: the whole input is a request body, decoded as a chat and as a completions request
// (small limits, so the depth and size paths are reachable). Besides "no crash, no throw,
// no sanitizer report" it checks that decoding is deterministic, that every error and every
// encoded chunk/body is valid JSON, that a chat prompt is the messages array as JSON, and
// that Utf8Joiner loses and invents no byte. Build and run: scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "openai/request.h"
#include "openai/response.h"

namespace {

namespace openai = connswap::openai;

const openai::DecodeLimits kLimits{
    .max_tokens = 1000, .default_max_tokens = 16, .max_depth = 16, .max_body_bytes = 4096};

void require_json(const std::string& text) {
  if (!nlohmann::json::accept(text)) {
    std::abort();  // an encoder produced something a client cannot parse
  }
}

void check_encoders(const openai::CompletionRequest& request) {
  const openai::StreamContext context{
      .endpoint = request.endpoint,
      .id = std::string(openai::id_prefix(request.endpoint)) + request.model,
      .created = 1,
      .model = request.model,
      .include_usage = request.include_usage};
  const openai::ChunkEncoder encoder(context);
  if (auto opening = encoder.opening()) {
    require_json(*opening);
  }
  require_json(encoder.token(request.prompt));
  require_json(encoder.finish(openai::FinishReason::kLength));
  require_json(encoder.usage({.prompt_tokens = request.prompt.size(), .completion_tokens = 1}));
  require_json(openai::encode_completion(context, request.prompt, openai::FinishReason::kStop, {}));
  const auto generate = request.to_generate_request();
  if (generate.prompt() != request.prompt || generate.max_tokens() != request.max_tokens ||
      generate.max_tokens() == 0 || generate.max_tokens() > kLimits.max_tokens) {
    std::abort();
  }
  if (request.endpoint == openai::Endpoint::kChat) {
    const auto messages = nlohmann::json::parse(request.prompt, nullptr, false);
    if (!messages.is_array() || messages.size() != request.messages.size()) {
      std::abort();
    }
  }
}

void check_decode(openai::Endpoint endpoint, std::string_view body) {
  auto first = openai::decode_request(endpoint, body, kLimits);
  auto second = openai::decode_request(endpoint, body, kLimits);
  if (first.has_value() != second.has_value()) {
    std::abort();
  }
  if (!first) {
    require_json(openai::encode_error(first.error()));
    if (first.error().param != second.error().param) {
      std::abort();
    }
    return;
  }
  if (first->prompt != second->prompt || first->params != second->params) {
    std::abort();
  }
  for (const auto& [name, value] : first->params) {
    require_json(value);  // pass-through parameters stay valid JSON
  }
  check_encoders(*first);
}

// Split anywhere, the joiner's output concatenates back to its input.
void check_joiner(std::string_view bytes) {
  openai::Utf8Joiner joiner;
  std::string out;
  const std::size_t step = bytes.empty() ? 1 : 1 + static_cast<unsigned char>(bytes[0]) % 7;
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    out += joiner.push(bytes.substr(at, step));
  }
  out += joiner.flush();
  if (out != bytes) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  check_decode(openai::Endpoint::kChat, body);
  check_decode(openai::Endpoint::kCompletions, body);
  check_joiner(body);
  return 0;
}
