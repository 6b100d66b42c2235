// libFuzzer target for src/openai/upstream.h: what a model server sends back (stream chunks,
// error bodies) and the request bodies built from untrusted prompts and parameters.
//
// Input: byte 0 picks the endpoint (bit 0) and a split point; the rest is one chunk's data,
// an error body, and (split in two) a prompt/continuation and a parameter value. Besides
// "no crash, no throw, no sanitizer report" it checks that kNotJson is exactly "not valid
// JSON", that every message is bounded and free of control characters, that a decoded chunk
// decodes the same twice, and that every request body is valid JSON with its fixed fields.
// Run: scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "openai/upstream.h"

namespace {

namespace openai = connswap::openai;
using nlohmann::json;

void check_message(const std::string& message) {
  if (message.size() > 300) {
    std::abort();
  }
}

void check_log_text(const std::string& text) {
  check_message(text);
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      std::abort();  // control characters are replaced
    }
  }
}

void check_chunk(openai::Endpoint endpoint, std::string_view data) {
  const auto first = openai::decode_upstream_chunk(endpoint, data);
  const auto second = openai::decode_upstream_chunk(endpoint, data);
  if (first.has_value() != second.has_value()) {
    std::abort();
  }
  if (!first) {
    if ((first.error().code == openai::ChunkErrc::kNotJson) == json::accept(data) ||
        first.error().code != second.error().code) {
      std::abort();
    }
    check_log_text(first.error().message);
    return;
  }
  if (first->text != second->text || first->finish_reason != second->finish_reason ||
      first->usage.has_value() != second->usage.has_value()) {
    std::abort();
  }
}

void check_body(openai::Endpoint endpoint, std::string_view text, std::string_view value) {
  openai::UpstreamRequest request;
  request.endpoint = endpoint;
  request.model = std::string(value);
  request.prompt = std::string(text);
  request.continuation = std::string(value);
  request.max_tokens = static_cast<std::uint32_t>(text.size());
  request.params = {{"x", std::string(value)}, {std::string(text), std::string(value)}};
  request.defaults = {{"x", std::string(text)}, {"y", std::string(text)}};
  const std::string body = openai::upstream_body(request);
  const json parsed = json::parse(body, nullptr, false);
  if (!parsed.is_object() || parsed.value("stream", false) != true || !parsed.contains("x") ||
      !parsed.contains("y") || !parsed.contains("stream_options")) {
    std::abort();
  }
  if (endpoint == openai::Endpoint::kChat) {
    const auto& messages = parsed["messages"];
    if (!messages.is_array() || messages.empty() ||
        (!value.empty() && messages.back().value("role", "") != "assistant")) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const auto endpoint =
      (data[0] & 1U) != 0 ? openai::Endpoint::kChat : openai::Endpoint::kCompletions;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  check_chunk(endpoint, rest);
  check_log_text(openai::upstream_error_message(rest));
  const std::size_t split = rest.empty() ? 0 : (data[0] >> 1U) % (rest.size() + 1);
  check_body(endpoint, rest.substr(0, split), rest.substr(split));
  return 0;
}
